// `vltune analyze` end to end on run folders made here: the tiny LLaVA fixture as the base, and
// full, LoRA and DoRA adapters saved at two "checkpoints" each. The full run's update is ΔW = c·W0,
// whose ΔM (c times the mean row norm) and ΔD (0) are known, so its rows are checked by value.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "adapters/full.h"
#include "adapters/peft_io.h"
#include "multimodal/model_loader.h"
#include "test_support.h"

namespace vltune {
namespace {

namespace fs = std::filesystem;

const std::string kBase = test::data_path("hf-tiny-llava-clip-llama/base");

using test::read_text_file;

struct Outcome {
  int status;
  std::string output;
};

Outcome analyze(const test::TempDir& dir, const std::string& args) {
  const auto log = dir.file("analyze.log");
  const int status = std::system((test::vltune_binary() + " analyze " + args + " > " + log + " 2>&1").c_str());
  return {WEXITSTATUS(status), read_text_file(log)};
}

// A run folder whose checkpoint k (1, 2) holds the set after `update(set, k)`.
template <class Update>
void write_run(multimodal::LoadedModel& loaded, const fs::path& run, const std::string& model_path, const std::string& method,
               Update update) {
  fs::create_directories(run);
  std::ofstream(run / "recipe.yaml") << "model:\n  path: " << model_path << "\n";
  const auto placement = adapters::parse_placement(
      YAML::Load("method: " + method + "\nrank: 4\nrules:\n  - component: language\n    modules: [q_proj, v_proj]\n"), "test");
  auto set = adapters::build_adapter_set(method, adapters::plan_adapters(placement, adapters::linear_sites(*loaded.model)), 1);
  for (int k = 1; k <= 2; ++k) {
    update(*set, k);
    char step[32];
    std::snprintf(step, sizeof(step), "step-%08d", 5 * k);
    adapters::save_peft_adapter(*set, (run / "checkpoints" / step / "adapter").string(), true);
  }
}

void add_noise(adapters::AdapterSet& set, int k) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(k);
  for (auto& tensor : set.parameters()) tensor.add_(torch::randn_like(tensor) * 0.05);
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

TEST(AnalyzeCommand, WritesThePointsTheFitsAndThePlots) {
  test::TempDir dir;
  auto loaded = multimodal::load_model(kBase);
  std::map<std::string, double> mean_row_norm, frobenius;  // "q_proj/0" -> mean_n ‖W0_n‖, ‖W0‖_F
  int64_t num_layers = 0;
  for (const auto& site : adapters::linear_sites(*loaded.model))
    if (site.component == "language" && (site.leaf == "q_proj" || site.leaf == "v_proj")) {
      mean_row_norm[site.leaf + "/" + std::to_string(*site.layer)] = site.linear->weight.to(torch::kFloat64).norm(2, {1}).mean().item<double>();
      frobenius[site.leaf + "/" + std::to_string(*site.layer)] = site.linear->weight.to(torch::kFloat64).norm().item<double>();
      num_layers = std::max(num_layers, *site.layer + 1);
    }

  write_run(loaded, dir.path() / "ft", fs::absolute(kBase).string(), "full", [](adapters::AdapterSet& set, int k) {
    torch::NoGradGuard no_grad;
    for (const auto& entry : set.entries()) {
      auto full = std::dynamic_pointer_cast<adapters::FullAdapter>(entry.adapter);
      full->delta.copy_(0.1 * k * full->base()->weight);
    }
  });
  write_run(loaded, dir.path() / "lora", fs::relative(kBase, dir.path() / "lora").string(), "lora", add_noise);
  write_run(loaded, dir.path() / "dora", fs::absolute(kBase).string(), "dora", add_noise);

  const auto out = dir.path() / "out";
  const auto result = analyze(dir, dir.file("ft") + " " + dir.file("lora") + " " + dir.file("dora") + " --out " + out.string());
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("Pearson r"));

  const auto rows = csv_rows(read_text_file(out / "analysis.csv"));
  ASSERT_EQ(rows.size(), 1 + 3 * 2 * 2 * num_layers);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"run", "method", "step", "module", "layer", "delta_m", "delta_d", "update_norm",
                                               "angle_deg"}));
  std::map<std::string, int> per_method;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_EQ(row.size(), 9u);
    ++per_method[row[1]];
    EXPECT_TRUE(row[2] == "5" || row[2] == "10") << row[2];
    if (row[0] != "ft") {
      EXPECT_GT(std::stod(row[6]), 0) << "a random update turns the rows";
      EXPECT_GT(std::stod(row[8]), 0);
      continue;
    }
    EXPECT_EQ(row[1], "full");
    const double c = row[2] == "5" ? 0.1 : 0.2;
    const double want = c * mean_row_norm.at(row[3] + "/" + row[4]);
    EXPECT_NEAR(std::stod(row[5]), want, 1e-5 * want) << row[3] << " layer " << row[4];
    EXPECT_LT(std::stod(row[6]), 1e-10);
    // ΔW = c·W0: ‖ΔW‖ = c·‖W0‖_F, and the rows do not turn.
    const double norm = c * frobenius.at(row[3] + "/" + row[4]);
    EXPECT_NEAR(std::stod(row[7]), norm, 1e-5 * norm);
    EXPECT_LT(std::stod(row[8]), 1e-3);
  }
  EXPECT_EQ(per_method, (std::map<std::string, int>{{"dora", 4 * num_layers}, {"full", 4 * num_layers}, {"lora", 4 * num_layers}}));

  const auto markdown = read_text_file(out / "analysis.md");
  const auto per_checkpoint = cat("| full | 5 | ", num_layers, " |");  // q_proj per checkpoint, over the layers
  for (const std::string fragment : {std::string("| full | all |"), std::string("| lora | all |"), std::string("| dora | q_proj |"),
                                     std::string("Pearson r"), std::string("analysis-dora.svg"), std::string("partial r given ‖ΔW‖"),
                                     per_checkpoint, std::string("| dora | 10 | ")})
    EXPECT_THAT(markdown, HasSubstr(fragment)) << fragment << "\n" << markdown;
  for (const char* method : {"full", "lora", "dora"}) {
    const auto svg = read_text_file(out / (std::string("analysis-") + method + ".svg"));
    EXPECT_THAT(svg, HasSubstr("<svg"));
    EXPECT_THAT(svg, HasSubstr(std::string("Magnitude vs direction change: ") + method));
  }
}

TEST(AnalyzeCommand, BadRunsAndOptionsFailWithAMessage) {
  test::TempDir dir;
  fs::create_directories(dir.path() / "empty");
  std::ofstream(dir.path() / "empty" / "recipe.yaml") << "model:\n  path: " << kBase << "\n";
  auto result = analyze(dir, dir.file("empty") + " --out " + dir.file("out"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("no checkpoints"));

  auto loaded = multimodal::load_model(kBase);
  write_run(loaded, dir.path() / "lora", kBase, "lora", add_noise);
  result = analyze(dir, dir.file("lora") + " --modules q_proj,nope_proj --out " + dir.file("out"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("no linear module named 'nope_proj'"));
  result = analyze(dir, dir.file("lora") + " --layers 0,x --out " + dir.file("out"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("--layers '0,x'"));
  result = analyze(dir, dir.file("lora") + " --layers 99 --out " + dir.file("out"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("no layer 99"));
}

}  // namespace
}  // namespace vltune
