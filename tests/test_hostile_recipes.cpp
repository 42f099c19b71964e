// Hostile recipes, compare files and configs (issue 12): YAML that expands without bound or
// contains itself, duplicate and dotted keys, a section given a value, numbers out of range or not
// finite, wrongly typed compare files, an unusable device and a Llama-3 rope factor of 0; each a
// clear vltune::Error naming the file and the line or key.
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/json_view.h"
#include "core/yaml_util.h"
#include "language/decoder_arch.h"
#include "test_support.h"
#include "training/compare.h"
#include "training/recipe.h"
#include "training/run_setup.h"

namespace vltune::training {
namespace {

using test::expect_error;
using test::TempDir;

constexpr const char* kRecipe =
    "model: {path: m}\n"
    "adapters: {preset: attention_only, method: dora, rank: 4}\n"
    "data: {train: {format: llava, path: t.json}}\n"
    "train: {steps: 4, lr: 1e-3}\n";

// A recipe file: kRecipe followed by `extra`.
std::string recipe_file(const TempDir& dir, const std::string& extra = "", const std::string& name = "r.yaml") {
  write_file_atomically(dir.file(name), kRecipe + extra);
  return dir.file(name);
}

TEST(HostileYaml, AnAliasInsideItselfOrABillionLaughsFailsWhileReading) {
  TempDir dir;
  write_file_atomically(dir.file("self.yaml"), "a: &a [*a]\n");
  expect_error([&] { load_yaml_file(dir.file("self.yaml")); }, {"self.yaml", "nested more than 64 levels"});
  write_file_atomically(dir.file("self_map.yaml"), "a: &a {b: *a}\n");
  expect_error([&] { Recipe::load(dir.file("self_map.yaml")); }, {"self_map.yaml", "nested more than"});
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) laughs += (j ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  write_file_atomically(dir.file("laughs.yaml"), laughs);
  expect_error([&] { Recipe::load(dir.file("laughs.yaml")); }, {"laughs.yaml", "more than 100000 nodes"});
  write_file_atomically(dir.file("deep.yaml"), "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  expect_error([&] { load_yaml_file(dir.file("deep.yaml")); }, {"[yaml]", "deep.yaml"});
  // And through --set.
  expect_error([&] { Recipe::load(recipe_file(dir), {"train.seed=&s [*s]"}); }, {"--set train.seed=&s [*s]", "nested more than"});
}

TEST(HostileYaml, DuplicateAndNonTextKeysAreErrorsNamingTheLine) {
  TempDir dir;
  expect_error([&] { Recipe::load(recipe_file(dir, "train: {steps: 9}\n")); },
               {"r.yaml:5:1: duplicate key 'train' (first set at line 4)"});
  expect_error([&] { Recipe::load(recipe_file(dir, "eval: {every: 1, every: 2}\n")); }, {"r.yaml:5:18: duplicate key 'every'"});
  expect_error([&] { Recipe::load(recipe_file(dir, "? [a, b]\n: 1\n")); }, {"r.yaml:5:", "a map key must be plain text"});
}

TEST(HostileRecipes, DottedKeysAndSectionsGivenAValueAreExplained) {
  TempDir dir;
  expect_error([&] { Recipe::load(recipe_file(dir, "\"eval.every\": 9\n")); },
               {"r.yaml:5:1: key 'eval.every' holds a dot; nest it (eval: {every: ...})"});
  try {
    Recipe::load(recipe_file(dir), {"train=5"});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, HasSubstr("key 'train': expected a map (the section of train.epochs"));
    EXPECT_THAT(message, Not(HasSubstr("did you mean")));
  }
}

TEST(HostileRecipes, NumbersOutOfRangeOrNotFiniteAreRefusedNamingTheKey) {
  TempDir dir;
  const auto path = recipe_file(dir);
  expect_error([&] { Recipe::load(path, {"train.steps=-3"}); }, {"--set train.steps=-3: key 'train.steps': -3 is out of range: 0 or more"});
  expect_error([&] { Recipe::load(path, {"train.lr=-1e-4"}); }, {"key 'train.lr': -1e-4 is out of range"});
  // Finite in YAML, yet beyond a float: the optimizer could not convert it.
  expect_error([&] { Recipe::load(path, {"train.lr=1e300"}); }, {"key 'train.lr': 1e300 is out of range: 0 to 1e30"});
  expect_error([&] { Recipe::load(path, {"train.batch_size=0"}); }, {"key 'train.batch_size': 0 is out of range: at least 1"});
  expect_error([&] { Recipe::load(path, {"eval.top_p=2"}); }, {"key 'eval.top_p': 2 is out of range: 0 to 1"});
  expect_error([&] { Recipe::load(path, {"train.lr=.nan"}); }, {"--set train.lr=.nan: key 'train.lr': .nan is not a finite number"});
  expect_error([&] { Recipe::load(path, {"train.epochs=.inf"}); }, {"key 'train.epochs': .inf is not a finite number"});
  expect_error([&] { Recipe::load(path, {"adapters.dropout=.NaN"}); }, {"key 'adapters.dropout': .NaN is not a finite number"});
  expect_error([&] { Recipe::load(recipe_file(dir, "eval: {temperature: -.inf}\n")); },
               {"r.yaml:5:21: key 'eval.temperature': -.inf is not a finite number"});
  // Quoted text is text, not a number: a prompt may read ".nan".
  EXPECT_NO_THROW(Recipe::load(recipe_file(dir), {"data.train={format: coco, path: t.json, prompt: \".nan\"}"}));
}

TEST(HostileRecipes, SectionsWrittenOnlyThroughSetAreChecked) {
  TempDir dir;
  write_file_atomically(dir.file("r.yaml"), "model: {path: m}\ntrain: {steps: 4}\n");
  EXPECT_NO_THROW(Recipe::load(dir.file("r.yaml"), {"adapters.preset=attention_only", "adapters.method=dora", "data.train.format=llava",
                                                    "data.train.path=t.json"}));
  expect_error([&] { Recipe::load(dir.file("r.yaml"), {"adapters.preset=attention_only", "data.train.format=llava"}); },
               {"a dataset needs 'format' and 'path'"});
}

// A compare file next to r.yaml: `body` after `recipe: r.yaml`.
std::string compare_file(const TempDir& dir, const std::string& body) {
  recipe_file(dir);
  write_file_atomically(dir.file("c.yaml"), "recipe: r.yaml\n" + body);
  return dir.file("c.yaml");
}

TEST(HostileRecipes, CompareFilesOfWrongTypesFailNamingTheLine) {
  TempDir dir;
  CompareOptions options;
  // Issue 14, defect 1: a primary metric no run reports fails before the first step, not after all.
  expect_error([&] { run_compare(compare_file(dir, "metric: accuracy\nvariants: [{name: a}]\n"), options); },
               {"c.yaml:2:9: metric 'accuracy' is not reported by variant 'a' (its runs report: train_loss)"});
  expect_error([&] { run_compare(compare_file(dir, "seeds: [-1]\nvariants: [{name: a}]\n"), options); },
               {"c.yaml:2:9: 'seeds': expected an integer of 0 or more, found -1"});
  expect_error([&] { run_compare(compare_file(dir, "seeds: [x]\nvariants: [{name: a}]\n"), options); }, {"c.yaml:2:9", "'seeds'"});
  expect_error([&] { run_compare(compare_file(dir, "seeds: 3\nvariants: [{name: a}]\n"), options); }, {"'seeds' must be a list"});
  expect_error([&] { run_compare(compare_file(dir, "variants: [5]\n"), options); }, {"c.yaml:2:12: a variant is a map"});
  expect_error([&] { run_compare(compare_file(dir, "variants: [{name: [a]}]\n"), options); }, {"c.yaml:2:19: 'name': expected text, found a list"});
  expect_error([&] { run_compare(compare_file(dir, "grid: {rank: [four]}\n"), options); }, {"'grid.rank': expected positive integers, found 'four'"});
  expect_error([&] { run_compare(compare_file(dir, "grid: {rank: [99999999999999999999]}\n"), options); }, {"'grid.rank'"});
  expect_error([&] { run_compare(compare_file(dir, "grid: {alpha: {a: 1}}\n"), options); }, {"'grid.alpha': expected a number, found a map"});
  expect_error([&] { run_compare(compare_file(dir, "grid: 5\n"), options); }, {"'grid' is a map"});
  expect_error([&] { run_compare(compare_file(dir, "variants: [{name: ../../precious}]\n"), options); },
               {"variant name '../../precious' must be letters"});
  expect_error([&] { run_compare(compare_file(dir, "grid: {method: [dora/../..]}\n"), options); }, {"variant name 'dora/../..-"});
  write_file_atomically(dir.file("c2.yaml"), "recipe: [r.yaml]\nvariants: [{name: a}]\n");
  expect_error([&] { run_compare(dir.file("c2.yaml"), options); }, {"c2.yaml:1:9: 'recipe': expected text, found a list"});
}

// Issue 16: a hostile tune: block fails before anything trains, naming the file, line and key.
TEST(HostileRecipes, CompareTuneBlocksOfWrongShapesFailNamingTheKey) {
  TempDir dir;
  CompareOptions options;
  auto expect_tune_error = [&](const std::string& body, std::initializer_list<std::string> parts) {
    expect_error([&] { run_compare(compare_file(dir, body), options); }, parts);
  };
  expect_tune_error("tune: {lr: []}\nvariants: [{name: a}]\n", {"c.yaml:2:12: 'tune.lr': expected a non-empty list of learning rates"});
  expect_tune_error("tune: {lr: 1e-3}\nvariants: [{name: a}]\n", {"c.yaml:2:12: 'tune.lr': expected a non-empty list"});
  expect_tune_error("tune: {lr: [1e-3, -2e-3]}\nvariants: [{name: a}]\n", {"c.yaml:2:19: 'tune.lr': expected a positive learning rate, found -2e-3"});
  expect_tune_error("tune: {lr: [0]}\nvariants: [{name: a}]\n", {"'tune.lr': expected a positive learning rate, found 0"});
  expect_tune_error("tune: {lr: [.nan]}\nvariants: [{name: a}]\n", {"'tune.lr': expected a positive learning rate, found .nan"});
  expect_tune_error("tune: {lr: [fast]}\nvariants: [{name: a}]\n", {"c.yaml:2:13: 'tune.lr': expected a learning rate"});
  expect_tune_error("tune: {lr: [1e-3, 0.001]}\nvariants: [{name: a}]\n", {"'tune.lr': 1e-3 and 0.001 are one candidate"});
  expect_tune_error("tune: {lr: [1e-3], lrs: [2]}\nvariants: [{name: a}]\n", {"c.yaml:2", "lrs"});
  expect_tune_error("tune: {validation: 0.1}\nvariants: [{name: a}]\n", {"c.yaml:2:7: 'tune.lr' (the candidate learning rates) is required"});
  expect_tune_error("tune: {lr: [1e-3], validation: 0.9}\nvariants: [{name: a}]\n",
                    {"c.yaml:2:32: 'tune.validation': expected a fraction in (0, 0.5] of the training data, found 0.9"});
  expect_tune_error("tune: {lr: [1e-3], validation: 0}\nvariants: [{name: a}]\n", {"'tune.validation': expected a fraction in (0, 0.5]"});
  expect_tune_error("tune: {lr: [1e-3], seed: -1}\nvariants: [{name: a}]\n", {"'tune.seed': expected an integer of 0 or more, found -1"});
  expect_tune_error("tune: [1e-3]\nvariants: [{name: a}]\n", {"c.yaml:2:7: 'tune' is a map"});
  expect_tune_error("tune: {lr: [1e-3], set: [x]}\nvariants: [{name: a}]\n", {"'set' must be a map"});
  expect_tune_error("tune: {lr: [1e-3], set: {eval.max_samples: many}}\nvariants: [{name: a}]\n", {"eval.max_samples"});
  expect_tune_error("tune: {lr: [1e-3]}\nvariants: [{name: a, tune: {lr: [-1]}}]\n", {"c.yaml:3:34: 'tune.lr': expected a positive learning rate"});
  expect_tune_error("tune: {lr: [1e-3]}\nvariants: [{name: a, tune: {seed: 1}}]\n", {"c.yaml:3", "seed"});
  expect_tune_error("variants: [{name: a, tune: {lr: [1e-3]}}]\n", {"variant 'a' has its own tune: {lr}, but the file has no 'tune:' block"});
  options.tune_only = true;
  expect_tune_error("variants: [{name: a}]\n", {"--tune-only, but the file has no 'tune:' block"});
}

TEST(HostileRecipes, AnUnusableDeviceIsOneLine) {
  expect_error([] { parse_device("cuda:99", "r.yaml:1:9: model.device"); }, {"r.yaml:1:9: model.device 'cuda:99'", "CUDA"});
  expect_error([] { parse_device("tpu", "--device"); }, {"--device 'tpu' is not a device vltune runs on"});
  expect_error([] { parse_device("mps", "--device"); }, {"--device 'mps' is not a device vltune runs on"});
  try {
    parse_device("cuda:99", "--device");
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), Not(HasSubstr("\n"))) << e.what();
  }
  EXPECT_TRUE(parse_device("cpu", "--device").is_cpu());
}

TEST(HostileConfigs, ALlama3RopeFactorOfZeroIsRefused) {
  auto config = nlohmann::json::parse(test::read_text_file(test::data_path("hf-tiny-llama3-text/base/config.json")));
  ASSERT_TRUE(config.contains("rope_scaling") || config.contains("rope_parameters"));
  auto& rope = config.contains("rope_parameters") ? config["rope_parameters"] : config["rope_scaling"];
  for (const char* key : {"factor", "low_freq_factor", "high_freq_factor"}) {
    auto copy = rope;
    rope[key] = 0.0;
    expect_error([&] { language::parse_decoder_config(JsonView(config, "config.json")); },
                 {"config.json", std::string(key) + "': 0 must be a finite number greater than 0"});
    rope = copy;
  }
  EXPECT_NO_THROW(language::parse_decoder_config(JsonView(config, "config.json")));
}

}  // namespace
}  // namespace vltune::training
