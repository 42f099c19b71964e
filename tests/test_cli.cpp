// The vltune binary end to end: `vltune forward` reproduces transformers' outputs from files, and
// `vltune inspect` describes a model.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using test::data_path;

using test::run_vltune;

std::string forward_args(const std::string& fixture, const std::string& out) {
  return "forward --model " + fixture + "/base --inputs " + fixture + "/inputs.safetensors --out " + out;
}

// Every component `vltune inspect` lists under "adapter targets" is one a placement rule accepts:
// `vltune plan` with one rule per listed component (on its first module) plans; and the listed
// components are `expected`.
void expect_components_are_rule_names(const std::string& inspect_output, const std::string& model_dir,
                                      const std::set<std::string>& expected) {
  std::istringstream lines(inspect_output.substr(inspect_output.find("adapter targets")));
  std::string line, component, leaf;
  std::getline(lines, line);
  std::map<std::string, std::string> first_leaf;
  while (std::getline(lines, line) && std::istringstream(line) >> component >> leaf) first_leaf.emplace(component, leaf);
  test::TempDir dir;
  std::ofstream rules(dir.file("rules.yaml"));
  rules << "adapters:\n";
  std::set<std::string> listed;
  for (const auto& [name, module] : first_leaf) {
    rules << "  - {component: " << name << ", modules: [\"" << module << "\"]}\n";
    listed.insert(name);
  }
  rules.close();
  EXPECT_EQ(listed, expected) << inspect_output;
  const auto plan = run_vltune("plan " + dir.file("rules.yaml") + " --model " + model_dir);
  EXPECT_EQ(plan.status, 0) << plan.output;
}

TEST(Cli, ForwardMatchesTransformers) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  const auto result = run_vltune("forward --model " + fixture + "/base --inputs " + fixture + "/inputs.safetensors --out " +
                                 dir.file("out.safetensors"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto out = safetensors::File::open(dir.file("out.safetensors"));
  const auto expected = safetensors::File::open(fixture + "/expected.safetensors");
  EXPECT_TENSORS_NEAR(out->tensor("logits"), expected->tensor("base_logits"), 1e-4);
  EXPECT_TENSORS_NEAR(out->tensor("image_features"), expected->tensor("image_features"), 1e-4);
  const double loss = out->tensor("loss").item<double>(), want = expected->tensor("base_loss").item<double>();
  EXPECT_NEAR(loss, want, 1e-5 * want);
}

TEST(Cli, VersionFlagPrintsTheVersion) {
  const auto result = run_vltune("--version");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output.rfind("vltune 0.", 0), 0u) << result.output;
}

TEST(Cli, InspectListsComponentsAndTargets) {
  const auto result = run_vltune("inspect " + data_path("hf-tiny-llava-clip-llama/base"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char* fragment : {"llava (clip_vision_model + llama)", "transformers 5", "q_proj", "down_proj", "out_proj",
                               "linear_1", "25 visual tokens"})
    EXPECT_THAT(result.output, HasSubstr(fragment)) << fragment << "\n" << result.output;
  EXPECT_THAT(result.output, Not(HasSubstr("multi_modal_projector")));
  expect_components_are_rule_names(result.output, data_path("hf-tiny-llava-clip-llama/base"), {"vision", "projector", "language", "lm_head"});
  const auto siglip = run_vltune("inspect " + data_path("hf-tiny-llava-siglip-qwen2/base"));
  ASSERT_EQ(siglip.status, 0) << siglip.output;
  expect_components_are_rule_names(siglip.output, data_path("hf-tiny-llava-siglip-qwen2/base"),
                                   {"vision", "vision_head", "projector", "language"});  // tied: no lm_head
}

// Qwen2.5-VL: transformers' argument names in, logits, loss, image features, position ids and
// the DoRA gradients out; `vltune inspect` describes the tower.
TEST(Cli, QwenForwardTakesTransformersArguments) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-qwen2_5-vl");
  const auto expected = safetensors::File::open(fixture + "/expected.safetensors");
  auto result = run_vltune(forward_args(fixture, dir.file("out.safetensors")) + " --adapter " + fixture + "/adapter --grads");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto out = safetensors::File::open(dir.file("out.safetensors"));
  // row 0 has no padding (row 1's left pad is computed differently: tests/test_qwen2_5_vl.cpp)
  EXPECT_TENSORS_NEAR(out->tensor("logits")[0], expected->tensor("adapted_logits")[0], 1e-4);
  EXPECT_TENSORS_NEAR(out->tensor("image_features"), expected->tensor("image_pooler_output"), 1e-4);
  EXPECT_TRUE(torch::equal(out->tensor("position_ids"), expected->tensor("position_ids")));
  EXPECT_TRUE(out->find("grad.base_model.model.model.language_model.layers.1.self_attn.v_proj.lora_magnitude_vector"))
      << result.output;

  result = run_vltune("inspect " + fixture + "/base");
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char* fragment : {"qwen2_5_vl (qwen2_5_vl vision + qwen2_5_vl_text, M-RoPE)", "qwen2-vl hub",
                               "full attention in blocks 3", "mrope_section 2 3 3", "qkv", "gate_proj"})
    EXPECT_THAT(result.output, HasSubstr(fragment)) << fragment << "\n" << result.output;
  expect_components_are_rule_names(result.output, fixture + "/base", {"vision", "projector", "language", "lm_head"});
}

TEST(Cli, BadInputsFailWithAMessage) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  safetensors::write_file(dir.file("in.safetensors"), {{"attention_mask", torch::ones({1, 3})}});
  const auto result = run_vltune("forward --model " + fixture + "/base --inputs " + dir.file("in.safetensors") +
                                 " --out " + dir.file("out.safetensors"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("required tensor 'input_ids' is missing"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.safetensors")));
}

TEST(Cli, ForwardWithAdapterMergeAndGradsMatchesPeft) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  const auto expected = safetensors::File::open(fixture + "/expected.safetensors");

  auto result = run_vltune(forward_args(fixture, dir.file("grads.safetensors")) + " --adapter " + fixture + "/adapter --grads");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto grads = safetensors::File::open(dir.file("grads.safetensors"));
  EXPECT_TENSORS_NEAR(grads->tensor("logits"), expected->tensor("adapted_logits"), 1e-4);
  std::size_t compared = 0;
  for (const auto& info : grads->tensors()) {
    if (info.name.rfind("grad.", 0) != 0) continue;
    // PEFT's in-memory names carry the adapter name: lora_A.weight -> lora_A.default.weight.
    std::string name = info.name;
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0)
      name = name.substr(0, name.size() - 7) + ".default.weight";
    else
      name += ".default.weight";
    ASSERT_TRUE(expected->find(name)) << name;
    const auto want = expected->tensor(name);
    EXPECT_TENSORS_NEAR(grads->tensor(info.name), want, 1e-4 * test::max_abs(want)) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 42u);  // A, B and m of 7 modules x 2 layers
  EXPECT_TRUE(grads->find("grad.base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight"));

  result = run_vltune(forward_args(fixture, dir.file("merged.safetensors")) + " --adapter " + fixture + "/adapter --merge");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TENSORS_NEAR(safetensors::File::open(dir.file("merged.safetensors"))->tensor("logits"),
                      expected->tensor("merged_logits"), 1e-4);

  result = run_vltune(forward_args(fixture, dir.file("x.safetensors")) + " --merge");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("--merge and --grads need --adapter"));
}

TEST(Cli, ExportWritesAMergedCheckpointAndLeavesTheBaseAlone) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  const auto base_before = std::filesystem::last_write_time(fixture + "/base/model.safetensors");
  const auto base_bytes = safetensors::File::open(fixture + "/base/model.safetensors")->tensor("language_model.model.layers.0.self_attn.q_proj.weight").clone();

  auto result = run_vltune("export --merged --model " + fixture + "/base --adapter " + fixture + "/adapter --out " + dir.file("merged"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("merged/config.json")));
  // The export keeps the source's key layout and loads like any HF folder.
  EXPECT_TRUE(safetensors::File::open(dir.file("merged/model.safetensors"))->find("language_model.model.layers.0.self_attn.q_proj.weight"));
  result = run_vltune("forward --model " + dir.file("merged") + " --inputs " + fixture + "/inputs.safetensors --out " + dir.file("out.safetensors"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto expected = safetensors::File::open(fixture + "/expected.safetensors");
  EXPECT_TENSORS_NEAR(safetensors::File::open(dir.file("out.safetensors"))->tensor("logits"), expected->tensor("merged_logits"),
                      1e-4);

  EXPECT_EQ(std::filesystem::last_write_time(fixture + "/base/model.safetensors"), base_before);
  EXPECT_TRUE(torch::equal(safetensors::File::open(fixture + "/base/model.safetensors")->tensor("language_model.model.layers.0.self_attn.q_proj.weight"), base_bytes));

  result = run_vltune("export --merged --model " + fixture + "/base --adapter " + fixture + "/adapter --out " + dir.file("merged"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("already holds model.safetensors"));
  for (const char* form : {"--merged", "--peft"}) {
    result = run_vltune(std::string("export --force ") + form + " --model " + fixture + "/base --adapter " + fixture + "/adapter --out " +
                        fixture + "/base");
    EXPECT_EQ(result.status, 1);
    EXPECT_THAT(result.output, HasSubstr("is the folder being exported from"));
  }
}

// Issue 14, item 10: both forms of export take the same flags, and neither overwrites an existing
// folder's files without --force (which replaces the export's own files and keeps the others).
TEST(Cli, ExportNeverOverwritesSilentlyInEitherForm) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  const std::string sources = " --model " + fixture + "/base --adapter " + fixture + "/adapter ";
  auto result = run_vltune("export" + sources + "--out " + dir.file("neither"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("say --merged (a full model folder) or --peft"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("neither")));
  for (const std::string form : {"--merged", "--peft"}) {
    const auto out = dir.file("out" + form);
    std::filesystem::create_directories(out);
    std::ofstream(out + "/notes.txt") << "mine";
    result = run_vltune("export " + form + sources + out);
    EXPECT_EQ(result.status, 1) << form;
    EXPECT_THAT(result.output, HasSubstr("already holds notes.txt: an export never overwrites silently"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out), std::filesystem::directory_iterator()), 1) << form;
    std::ofstream(out + "/stale-00002-of-00002.safetensors") << "old";
    result = run_vltune("export --force " + form + sources + out);
    ASSERT_EQ(result.status, 0) << form << "\n" << result.output;
    EXPECT_EQ(test::read_text_file(out + "/notes.txt"), "mine");
    EXPECT_FALSE(std::filesystem::exists(out + "/stale-00002-of-00002.safetensors")) << form;
    EXPECT_TRUE(std::filesystem::exists(out + (form == "--peft" ? "/adapter_config.json" : "/model.safetensors"))) << form;
  }
}

TEST(Cli, PlanPrintsModulesAndTotals) {
  test::TempDir dir;
  std::ofstream(dir.file("plan.yaml")) << "adapters: {preset: dora_half, rank: 4, alpha: 8}\n";
  const auto result = run_vltune("plan " + dir.file("plan.yaml") + " --model " + data_path("hf-tiny-llava-clip-llama/base"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char* fragment : {"language_model.layers.0.self_attn.q_proj", "dora", "magnitude: 8 modules",
                               "dora: 6 modules", "total: 14 modules", "% of the model's 148800"})
    EXPECT_THAT(result.output, HasSubstr(fragment)) << fragment << "\n" << result.output;
}

TEST(Cli, AdapterConvertWritesAFolderThatGivesTheSameOutputs) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  auto result = run_vltune("adapter convert --model " + fixture + "/base --adapter " + fixture + "/adapter --out " + dir.file("converted"));
  ASSERT_EQ(result.status, 0) << result.output;
  result = run_vltune(forward_args(fixture, dir.file("out.safetensors")) + " --adapter " + dir.file("converted"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TENSORS_NEAR(safetensors::File::open(dir.file("out.safetensors"))->tensor("logits"),
                      safetensors::File::open(fixture + "/expected.safetensors")->tensor("adapted_logits"), 1e-4);
  // An adapter with vision-tower modules cannot fit a text-only model.
  result = run_vltune("adapter convert --model " + data_path("hf-tiny-llama3-text/base") + " --adapter " +
                      data_path("peft-lora-mixed/adapter") + " --out " + dir.file("x"));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("does not fit the model"));
}

// docs/recipes.md carries the schema table exactly as `vltune recipe keys` prints it.
TEST(Cli, RecipeDocsListEverySchemaKey) {
  const auto result = run_vltune("recipe keys");
  ASSERT_EQ(result.status, 0) << result.output;
  std::ifstream docs(std::string(VLTUNE_TEST_DATA) + "/../../docs/recipes.md");
  const std::string text((std::istreambuf_iterator<char>(docs)), {});
  EXPECT_THAT(text, HasSubstr(result.output)) << "regenerate the table with `vltune recipe keys`";
}

TEST(Cli, RecipeCheckReportsProblems) {
  test::TempDir dir;
  std::ofstream(dir.file("r.yaml")) << "model: {path: m}\nadapters: {preset: full_layer}\ndata: {train: {format: llava, path: t.json}}\n"
                                       "train: {lr: 2e-4}\n";
  auto result = run_vltune("recipe check " + dir.file("r.yaml") + " --set train.schedule=step");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("expected one of cosine, linear, constant"));
  // Right by the schema, but `train` would stop at once: there is no model folder m (a valid
  // recipe, checked end to end, is in test_recipe_check.cpp).
  result = run_vltune("recipe check " + dir.file("r.yaml") + " --set train.schedule=linear");
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr(dir.file("m")));
  EXPECT_THAT(result.output, Not(HasSubstr("valid")));
}

// Every shipped YAML under recipes/adapters plans cleanly on its model.
TEST(Cli, ShippedAdapterRecipesPlan) {
  const std::string recipe = std::string(VLTUNE_TEST_DATA) + "/../../recipes/adapters/dora-half-tiny.yaml";
  const auto result = run_vltune("plan " + recipe);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("lora: 2 modules"));
  EXPECT_THAT(result.output, HasSubstr("magnitude: 8 modules"));
}

// Every shipped training recipe (recipes/*.yaml and recipes/pretrain/*.yaml) validates and plans
// on its model: the shipped base models/tiny-vlm, or the pretraining config with fresh weights.
TEST(Cli, ShippedTrainingRecipesPlan) {
  const auto root = std::filesystem::path(VLTUNE_TEST_DATA) / "../../recipes";
  int planned = 0;
  for (const auto& folder : {root, root / "pretrain"})
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      if (entry.path().extension() != ".yaml" || entry.path().filename() == "quickstart.yaml") continue;  // quickstart: a compare file
      const auto result = run_vltune("plan " + entry.path().string());
      EXPECT_EQ(result.status, 0) << entry.path() << "\n" << result.output;
      EXPECT_THAT(result.output, HasSubstr("trainable")) << entry.path() << "\n" << result.output;
      ++planned;
    }
  EXPECT_GE(planned, 6);
}

}  // namespace
}  // namespace vltune

namespace vltune {
namespace {

// `vltune tokenizer encode/decode` against the tokenizers library's goldens of the synthetic
// tokenizer.json (tests/data/tokenizer-goldens), one JSON value per line with --jsonl.
TEST(Cli, TokenizerEncodesAndDecodesJsonLines) {
  test::TempDir dir;
  const auto folder = test::data_path("tokenizer-goldens/synthetic-metaspace");
  std::ifstream goldens(test::data_path("tokenizer-goldens/synthetic-metaspace.jsonl"));
  std::string line, expected_ids, expected_text;
  std::getline(goldens, line);  // header
  std::ofstream texts(dir.file("texts.jsonl")), ids(dir.file("ids.jsonl"));
  for (int n = 0; n < 12 && std::getline(goldens, line); ++n) {
    const auto golden = nlohmann::json::parse(line);
    texts << golden["text"].dump() << "\n";
    ids << golden["ids_specials"].dump() << "\n";
    expected_ids += golden["ids_specials"].dump() + "\n";
    expected_text += golden["decoded_skip_specials"].dump() + "\n";
  }
  texts.close();
  ids.close();
  auto result = run_vltune("tokenizer encode --tokenizer " + folder + " --specials --jsonl " + dir.file("texts.jsonl"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output, expected_ids);
  result = run_vltune("tokenizer decode --tokenizer " + folder + "/tokenizer.json --skip-specials --jsonl " + dir.file("ids.jsonl"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output, expected_text);
  result = run_vltune("tokenizer encode --tokenizer " + test::data_path("tokenizer-goldens/tiny-chatml") +
                      " --text '<|im_start|>user'");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output.rfind("[298,", 0), 0u) << result.output;  // <|im_start|> is one special token
  std::ofstream(dir.file("bad.jsonl")) << "[1, 2]\n\"fine\"\n{oops\n";
  result = run_vltune("tokenizer encode --tokenizer " + folder + " --jsonl " + dir.file("bad.jsonl"));
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("bad.jsonl:1: expected a JSON string"));
  result = run_vltune("tokenizer decode --tokenizer " + folder + " --ids '[1, 99999]'");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("99999 is outside the vocabulary"));
}

}  // namespace
}  // namespace vltune
