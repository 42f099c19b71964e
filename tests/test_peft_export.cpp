// `vltune export --peft` (adapters/peft_export.h; issue 14, item 5): a mix of LoRA, DoRA and
// magnitude-only is written as PEFT's DoRA, with no key PEFT would ignore, and reads back to the
// same logits and merged logits; what PEFT cannot express is refused with the reason.
//
// tests/data/peft-export-mix holds this suite's mixed set in both forms with vltune's logits, for
// the check that PEFT itself loads the export to the same logits (tools/peft_load_check.py on the
// GPU machine). VLTUNE_PEFT_EXPORT_OUT=DIR makes the first test write that folder again.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "adapters/peft_export.h"
#include "adapters/peft_io.h"
#include "adapters/placement.h"
#include "adapters/weight_norm.h"
#include "core/atomic_file.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using namespace adapters;
using test::data_path;
using test::TempDir;

const std::string kBase = "hf-tiny-llava-clip-llama/base";
const std::string kInputs = "hf-tiny-llava-clip-llama/inputs.safetensors";
const std::string kCommitted = "peft-export-mix";

// DoRA and LoRA at different ranks, magnitude-only on the rest of the decoder, and an rslora LoRA
// on the projector: every case of the DoRA form, with rank and alpha patterns.
const char* kMix = R"(adapters:
  rules:
    - {component: projector, modules: all_linear, method: lora, rank: 2, alpha: 5, rslora: true}
    - {component: language, modules: [q_proj, v_proj], method: dora, rank: 4, alpha: 8}
    - {component: language, modules: [k_proj], method: lora, rank: 2, alpha: 3}
    - {component: language, modules: [o_proj, gate_proj, up_proj, down_proj], method: magnitude}
)";

struct Fixture {
  multimodal::LoadedModel loaded = multimodal::load_model(data_path(kBase));
  std::shared_ptr<safetensors::File> inputs = safetensors::File::open(data_path(kInputs));

  // A set of `yaml`'s placement with every trained tensor moved off its initial value.
  std::unique_ptr<AdapterSet> trained_set(const TempDir& dir, const std::string& yaml) {
    write_file_atomically(dir.file("adapters.yaml"), yaml);
    auto set = build_adapter_set("mix", plan_adapters(load_placement(dir.file("adapters.yaml")), linear_sites(*loaded.model)), 3);
    auto generator = at::detail::createCPUGenerator(11);
    torch::NoGradGuard no_grad;
    for (auto& p : set->parameters()) p.add_(torch::randn(p.sizes(), generator, torch::kFloat32) * 0.3);
    return set;
  }
  // The logits with `set` attached (eval mode), or merged into the base when `merge` (the base
  // weights are put back exactly afterwards: unmerging alone rounds).
  torch::Tensor logits(AdapterSet& set, bool merge = false) {
    torch::NoGradGuard no_grad;
    set.train(false);
    std::vector<torch::Tensor> base;
    for (const auto& entry : set.entries()) base.push_back(entry.adapter->base()->weight.clone());
    merge ? set.merge() : set.attach();
    auto out = loaded.model->forward(test::fixture_inputs(*inputs)).logits;
    merge ? set.unmerge() : set.detach();
    for (std::size_t i = 0; i < base.size(); ++i) set.entries()[i].adapter->base()->weight.copy_(base[i]);
    return out;
  }
};

TEST(PeftExport, AMixIsWrittenAsPeftDoraThatGivesTheSameLogits) {
  TempDir dir;
  Fixture fixture;
  auto set = fixture.trained_set(dir, kMix);
  const auto logits = fixture.logits(*set), merged = fixture.logits(*set, true);
  export_peft_adapter(*set, dir.file("peft"), true);

  const auto config = read_json_file(dir.file("peft/adapter_config.json"));
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["use_dora"], true);
  EXPECT_FALSE(config.contains("vltune_methods")) << config.dump(1);
  EXPECT_FALSE(config["rank_pattern"].empty()) << config.dump(1);  // ranks 2 and 4 in one file

  // LoRA: m = ‖W0 + s·BA‖ as PEFT forms it; magnitude-only: zero factors and the trained m.
  const auto file = safetensors::File::open(dir.file("peft/adapter_model.safetensors"));
  const auto& layout = peft_layout(true);
  for (const auto& entry : set->entries()) {
    SCOPED_TRACE(entry.path);
    const auto tensor = [&](const std::string& suffix) { return file->tensor(peft_key(layout, entry.path, suffix)); };
    const auto& spec = entry.adapter->spec();
    ASSERT_TRUE(file->find(peft_key(layout, entry.path, "lora_magnitude_vector")));
    if (spec.method == Method::kLora) {
      const auto norm = materialized_row_norm(entry.adapter->base()->weight, tensor("lora_A.weight"), tensor("lora_B.weight"), spec.scaling());
      EXPECT_TENSORS_NEAR(tensor("lora_magnitude_vector"), norm, 1e-6 * test::max_abs(norm));
    } else if (spec.method == Method::kMagnitude) {
      EXPECT_EQ(test::max_abs(tensor("lora_A.weight")), 0.0);
      EXPECT_EQ(test::max_abs(tensor("lora_B.weight")), 0.0);
      EXPECT_TRUE(torch::equal(tensor("lora_magnitude_vector"), entry.adapter->file_tensors()[0].second));
    }
  }

  auto reread = load_peft_adapter(dir.file("peft"), *fixture.loaded.model, true, "reread");
  ASSERT_EQ(reread->entries().size(), set->entries().size());
  for (const auto& entry : reread->entries()) EXPECT_EQ(entry.adapter->spec().method, Method::kDora) << entry.path;
  EXPECT_TENSORS_NEAR(fixture.logits(*reread), logits, 1e-6);
  EXPECT_TENSORS_NEAR(fixture.logits(*reread, true), merged, 1e-6);

  if (const char* out = std::getenv("VLTUNE_PEFT_EXPORT_OUT"); out && *out) {
    namespace fs = std::filesystem;
    fs::create_directories(out);
    save_peft_adapter(*set, (fs::path(out) / "vltune").string(), true);
    export_peft_adapter(*set, (fs::path(out) / "peft").string(), true);
    safetensors::write_file((fs::path(out) / "expected.safetensors").string(),
                            {{"adapted_logits", logits}, {"merged_logits", merged}});
  }
}

// The committed folder is what this build writes: its vltune form reads back to its logits, and its
// export to the same logits again (so the GPU check runs on files that still hold).
TEST(PeftExport, TheCommittedMixStillHolds) {
  Fixture fixture;
  const auto expected = safetensors::File::open(data_path(kCommitted + "/expected.safetensors"));
  auto source = load_peft_adapter(data_path(kCommitted + "/vltune"), *fixture.loaded.model, true, "source");
  auto exported = load_peft_adapter(data_path(kCommitted + "/peft"), *fixture.loaded.model, true, "exported");
  EXPECT_TENSORS_NEAR(fixture.logits(*source), expected->tensor("adapted_logits"), 1e-5);
  EXPECT_TENSORS_NEAR(fixture.logits(*exported), expected->tensor("adapted_logits"), 1e-5);
  EXPECT_TENSORS_NEAR(fixture.logits(*exported, true), expected->tensor("merged_logits"), 1e-5);
}

TEST(PeftExport, OneMethodSetsAreWrittenAsTheyAre) {
  TempDir dir;
  Fixture fixture;
  for (const auto& [method, dora] : {std::pair{"lora", false}, std::pair{"dora", true}}) {
    auto set = fixture.trained_set(dir, cat("adapters: {preset: attention_only, method: ", method, ", rank: 4, alpha: 8}\n"));
    const auto out = dir.file(method);
    export_peft_adapter(*set, out, true);
    const auto config = read_json_file(out + "/adapter_config.json");
    EXPECT_EQ(config["use_dora"], dora) << method;
    EXPECT_FALSE(config.contains("vltune_methods")) << method;
    auto reread = load_peft_adapter(out, *fixture.loaded.model, true, "reread");
    EXPECT_TENSORS_NEAR(fixture.logits(*reread), fixture.logits(*set), 1e-6) << method;
  }
}

// Magnitude-only everywhere (no module with factors): DoRA at the set's own rank, zero factors.
TEST(PeftExport, MagnitudeAloneBecomesDoraWithZeroFactors) {
  TempDir dir;
  Fixture fixture;
  auto set = fixture.trained_set(dir, "adapters: {preset: attention_only, method: magnitude, rank: 2}\n");
  export_peft_adapter(*set, dir.file("peft"), true);
  const auto config = read_json_file(dir.file("peft/adapter_config.json"));
  EXPECT_EQ(config["use_dora"], true);
  EXPECT_EQ(config["r"], 2);
  auto reread = load_peft_adapter(dir.file("peft"), *fixture.loaded.model, true, "reread");
  EXPECT_TENSORS_NEAR(fixture.logits(*reread), fixture.logits(*set), 1e-6);
}

TEST(PeftExport, RefusesWhatPeftCannotExpress) {
  TempDir dir;
  Fixture fixture;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"adapters:\n  rules:\n    - {component: language, modules: attention, method: vera, rank: 4}\n"
       "    - {component: language, modules: mlp, method: lora, rank: 4}\n",
       {"mixes VeRA", "with lora", "one peft_type", "--merged"}},
      {"adapters: {preset: attention_only, method: dvora, rank: 4}\n", {"is DVoRA", "no magnitude vector", "--merged"}},
      {"adapters:\n  rules:\n    - {component: projector, modules: all_linear, method: full}\n"
       "    - {component: language, modules: attention, method: dora, rank: 4}\n",
       {"projector", "fully fine-tuned", "--merged"}}};
  for (const auto& [yaml, fragments] : cases) {
    SCOPED_TRACE(yaml);
    auto set = fixture.trained_set(dir, yaml);
    const auto out = dir.file("refused");
    try {
      export_peft_adapter(*set, out, true);
      ADD_FAILURE() << "exported";
    } catch (const Error& e) {
      for (const auto& fragment : fragments) EXPECT_THAT(std::string(e.what()), HasSubstr(fragment)) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(out + "/adapter_config.json"));
  }
}

// Through the binary: `vltune export --peft` of a mixed vltune adapter writes the DoRA form.
TEST(PeftExport, TheExportCommandWritesTheDoraForm) {
  TempDir dir;
  const auto result = test::run_vltune("export --peft --model " + data_path(kBase) + " --adapter " +
                                       data_path(kCommitted + "/vltune") + " --out " + dir.file("out"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto config = read_json_file(dir.file("out/adapter_config.json"));
  EXPECT_EQ(config["use_dora"], true);
  EXPECT_FALSE(config.contains("vltune_methods")) << config.dump(1);
}

}  // namespace
}  // namespace vltune
