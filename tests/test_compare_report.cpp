// The compare report from hand-made runs: the CSV's columns and rows, the JSON's aggregates
// (mean ± sample std over seeds), and report.html rendered by headless Chromium: its DOM must hold
// the table and the three plots, and its screenshot must not be blank.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "analysis/compare_report.h"
#include "opencv_support.h"
#include "test_support.h"
#include "variant_run_support.h"


namespace vltune {
namespace {

namespace fs = std::filesystem;
using analysis::VariantRun;

using test::count_occurrences;
using test::read_text_file;

VariantRun make_run(const std::string& variant, const std::string& method, int64_t rank, uint64_t seed, double accuracy,
                    int64_t params) {
  auto run = test::variant_run(variant, method, rank, seed);
  run.trainable_params = params;
  run.trainable_percent = 100.0 * params / 5e6;
  run.peak_memory_mib = 500 + rank;
  run.step_time_ms = 100 + 10 * seed;
  run.tokens_per_s = 2000 - 10 * seed;
  run.metrics = {{"accuracy", accuracy}, {"loss", 1 - accuracy}};
  for (int64_t step = 10; step <= 50; step += 10) run.loss_curve.emplace_back(step, 2.0 / (1 + step * accuracy / 10) + 0.01 * seed);
  return run;
}

std::vector<VariantRun> hand_made_runs() {
  return {make_run("lora-r4", "lora", 4, 0, 0.5, 16384),  make_run("lora-r4", "lora", 4, 1, 0.6, 16384),
          make_run("lora-r4", "lora", 4, 2, 0.7, 16384),  make_run("lora-r16", "lora", 16, 0, 0.72, 65536),
          make_run("lora-r16", "lora", 16, 1, 0.74, 65536), make_run("dora-r4", "dora", 4, 0, 0.66, 17408),
          make_run("dora-r16", "dora", 16, 0, 0.8, 66560), make_run("full, \"all\" <FT>", "full", 0, 0, 0.85, 4000000)};
}

TEST(CompareReport, AggregatesSeedsIntoMeanAndSampleStd) {
  const auto variants = analysis::summarize_variants(hand_made_runs());
  ASSERT_EQ(variants.size(), 5u);
  EXPECT_EQ(variants[0].variant, "lora-r4");
  EXPECT_EQ(variants[0].seeds, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_NEAR(variants[0].metrics.at("accuracy").mean, 0.6, 1e-12);
  EXPECT_NEAR(variants[0].metrics.at("accuracy").std, 0.1, 1e-12);  // sqrt((0.01 + 0 + 0.01) / 2)
  EXPECT_NEAR(variants[0].step_time_ms.mean, 110, 1e-12);
  EXPECT_TRUE(std::isnan(variants[2].metrics.at("accuracy").std));  // one seed
  ASSERT_EQ(variants[0].loss_curve.size(), 5u);
  EXPECT_EQ(variants[0].loss_curve[0].first, 10);
  const double want = (2.0 / 1.5 + 2.0 / 1.6 + 0.01 + 2.0 / 1.7 + 0.02) / 3;
  EXPECT_NEAR(variants[0].loss_curve[0].second, want, 1e-12);
  const auto table = analysis::compare_table(variants, "accuracy");
  EXPECT_THAT(table, HasSubstr("| lora-r4 | lora | attention_only | 4 | 3 | 16,384 |"));
  EXPECT_THAT(table, HasSubstr("0.6 ± 0.1"));
  EXPECT_THAT(table, HasSubstr("0.73 ± 0.014"));  // std to two digits
  auto piped = hand_made_runs();
  piped.resize(1);
  piped[0].variant = "a|b";
  EXPECT_THAT(analysis::compare_table(analysis::summarize_variants(piped), "accuracy"), HasSubstr("| a\\|b |"));
}

TEST(CompareReport, InconsistentRunsAreErrors) {
  auto runs = hand_made_runs();
  runs[1].rank = 8;
  test::expect_error([&] { analysis::summarize_variants(runs); }, {"variant 'lora-r4'", "r4", "r8"});
  runs = hand_made_runs();
  runs[1].seed = 0;
  test::expect_error([&] { analysis::summarize_variants(runs); }, {"variant 'lora-r4'", "seed 0 appears twice"});
  test::TempDir dir;
  test::expect_error([&] { analysis::write_compare_report(dir.file("out"), hand_made_runs(), "t", "bleu4"); },
                     {"primary metric 'bleu4'", "accuracy, loss"});
  test::expect_error([&] { analysis::write_compare_report(dir.file("out"), {}, "t", "accuracy"); }, {"no runs"});
}

// Runs headless Chromium (with its own profile folder) and returns its exit status.
// The colour a chart's legend gives the series `name` (its line's stroke or its marker's fill).
std::string legend_colour(const std::string& svg, const std::string& name) {
  const auto legend = svg.find("<g class=\"legend\">");
  const auto at = svg.find(">" + name + "</text>", legend);
  if (legend == std::string::npos || at == std::string::npos) return "absent";
  const auto colour = svg.rfind("=\"#", at);
  return svg.substr(colour + 2, 7);
}

// Issue 14, item 10: a variant keeps its colour in every plot (the parameter plot once coloured by
// method, the loss curves by variant), and the loss metric reads as the evaluation's.
TEST(CompareReport, AVariantKeepsOneColourAcrossPlotsAndLossReadsAsEvalLoss) {
  test::TempDir dir;
  const auto out = dir.path() / "report";
  analysis::write_compare_report(out.string(), hand_made_runs(), "colours", "loss");
  const auto params = read_text_file(out / "metric_vs_params.svg"), losses = read_text_file(out / "loss_curves.svg");
  std::set<std::string> seen;
  for (const char* variant : {"lora-r4", "lora-r16", "dora-r4", "dora-r16"}) {
    const auto colour = legend_colour(losses, variant);
    EXPECT_EQ(colour.size(), 7u) << variant << ": " << colour;
    EXPECT_EQ(legend_colour(params, variant), colour) << variant;
    seen.insert(colour);
  }
  EXPECT_EQ(seen.size(), 4u);  // and no two variants share one
  const auto rank = read_text_file(out / "metric_vs_rank.svg");
  EXPECT_NE(legend_colour(rank, "lora"), legend_colour(rank, "dora"));
  const auto md = read_text_file(out / "report.md");
  EXPECT_THAT(md, HasSubstr("primary metric eval loss;"));
  EXPECT_THAT(md, HasSubstr("| eval loss |"));
  EXPECT_THAT(params, HasSubstr("eval loss against trainable parameters"));
  EXPECT_THAT(read_text_file(out / "results.csv"), HasSubstr(",loss,"));  // machine-readable names stay
}

int chromium(const test::TempDir& dir, const std::string& args, const std::string& stdout_file) {
  const auto command = "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars "
                       "--user-data-dir=" + dir.file("profile") + " " + args + " > " + stdout_file + " 2>" + dir.file("chromium.log");
  return WEXITSTATUS(std::system(command.c_str()));
}

TEST(CompareReport, WritesFilesThatABrowserRenders) {
  test::TempDir dir;
  const auto out = dir.path() / "report";
  const auto runs = hand_made_runs();
  analysis::write_compare_report(out.string(), runs, "LoRA vs DoRA <tiny>", "accuracy");

  // results.csv: one row per run.
  std::stringstream csv(read_text_file(out / "results.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "variant,method,placement,rank,seed,trainable_params,trainable_percent,peak_memory_mib,step_time_ms,"
                  "tokens_per_s,accuracy,loss,run_dir");
  std::vector<std::string> rows;
  while (std::getline(csv, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), runs.size());
  EXPECT_EQ(rows[1], "lora-r4,lora,attention_only,4,1,16384,0.32768,504,110,1990,0.6,0.4,runs/lora-r4-seed1");
  EXPECT_EQ(rows[7].substr(0, 22), "\"full, \"\"all\"\" <FT>\",f");

  // results.json: the runs and the aggregates.
  const auto json = nlohmann::json::parse(read_text_file(out / "results.json"));
  EXPECT_EQ(json["primary_metric"], "accuracy");
  EXPECT_EQ(json["runs"].size(), runs.size());
  EXPECT_EQ(json["runs"][3]["loss_curve"].size(), 5u);
  const auto& lora = json["variants"][0];
  EXPECT_EQ(lora["seeds"], nlohmann::json({0, 1, 2}));
  EXPECT_NEAR(lora["metrics"]["accuracy"]["mean"].get<double>(), 0.6, 1e-12);
  EXPECT_NEAR(lora["metrics"]["accuracy"]["std"].get<double>(), 0.1, 1e-12);
  EXPECT_EQ(lora["metrics"]["accuracy"]["n"], 3);
  EXPECT_TRUE(json["variants"][2]["metrics"]["accuracy"]["std"].is_null());
  EXPECT_EQ(json["variants"][4]["trainable_params"], 4000000);

  // report.md: the table and the plots beside it.
  const auto markdown = read_text_file(out / "report.md");
  EXPECT_THAT(markdown, HasSubstr("| variant | method | placement | rank | seeds | trainable params | % of model |"));
  for (const char* plot : {"metric_vs_params.svg", "loss_curves.svg", "metric_vs_rank.svg"}) {
    EXPECT_THAT(markdown, HasSubstr(std::string("](") + plot + ")")) << plot;
    EXPECT_EQ(read_text_file(out / plot).rfind("<svg", 0), 0u) << plot;
  }

  // report.html: self-contained.
  const auto html = read_text_file(out / "report.html");
  EXPECT_EQ(count_occurrences(html, "<script"), 0u);
  EXPECT_EQ(count_occurrences(html, "src="), 0u);
  EXPECT_EQ(count_occurrences(html, "<link"), 0u);
  EXPECT_EQ(count_occurrences(html, "http"), count_occurrences(html, "http://www.w3.org/2000/svg"));

  if (std::system("command -v chromium > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium; make deps installs it): report.html not rendered";
  const auto url = "file://" + (out / "report.html").string();
  ASSERT_EQ(chromium(dir, "--dump-dom " + url, dir.file("dom.html")), 0) << read_text_file(dir.file("chromium.log"));
  const auto dom = read_text_file(dir.file("dom.html"));
  EXPECT_THAT(dom, HasSubstr("<table id=\"results\">")) << dom.substr(0, 2000);
  EXPECT_EQ(count_occurrences(dom, "<tr>"), 1 + 5u);  // the header and one row per variant
  EXPECT_THAT(dom, HasSubstr("LoRA vs DoRA &lt;tiny&gt;"));
  EXPECT_EQ(count_occurrences(dom, "<svg"), 3u);
  for (const char* id : {"id=\"metric-vs-params\"", "id=\"loss-curves\"", "id=\"metric-vs-rank\""})
    EXPECT_THAT(dom, HasSubstr(id)) << id;
  EXPECT_GE(count_occurrences(dom, "<circle"), 5u + 4u);  // a point per variant in the first plot, per ranked variant in the third
  EXPECT_GE(count_occurrences(dom, "<polyline"), 5u + 2u);  // a loss curve per variant, a rank line per method

  const auto png = dir.file("report.png");
  ASSERT_EQ(chromium(dir, "--screenshot=" + png + " --window-size=1280,1600 " + url, dir.file("shot.log")), 0)
      << read_text_file(dir.file("chromium.log"));
  const auto bytes = read_text_file(png);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  if (!vltune::media::available()) return;  // the pixels are read with OpenCV
  const auto grey = test::opencv_grey_statistics(png);
  EXPECT_EQ(grey.width, 1280);
  EXPECT_GT(grey.ink, 0.01) << "the screenshot is (nearly) blank";
  EXPECT_GT(grey.stddev, 10.0);
}

}  // namespace
}  // namespace vltune
