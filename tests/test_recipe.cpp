// training/recipe: extends, --set, defaults, relative paths, and validation that reports every
// problem at once with where it was written.
#include <algorithm>
#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "adapters/placement_rules.h"
#include "core/atomic_file.h"
#include "core/problems.h"
#include "test_support.h"
#include "training/recipe.h"
#include "training/run_directory.h"
#include "training/train_settings.h"
#include "training/validation_split.h"

namespace vltune::training {
namespace {

using test::expect_error;
using test::TempDir;

// Issue 14, defect 6: every shipped training recipe writes its runs to the repository's runs/NAME
// (the base recipe's ../runs/NAME once meant recipes/runs/NAME); the Qwen2.5-VL ones too (issue 18),
// and the base's pretraining and its own evaluations (issue 16), each a valid recipe.
TEST(Recipe, ShippedRecipesWriteToTheRepositorysRunsFolder) {
  const auto root = std::filesystem::path(VLTUNE_TEST_DATA).parent_path().parent_path().lexically_normal();
  int checked = 0;
  for (const auto& folder : {root / "recipes", root / "recipes" / "qwen2_5-vl", root / "recipes" / "pretrain",
                             root / "recipes" / "pretrain" / "base-eval"})
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      if (entry.path().extension() != ".yaml") continue;
      const auto yaml = YAML::LoadFile(entry.path().string());
      if (yaml["variants"] || yaml["grid"]) {  // a compare file: its report folder is runs/NAME too
        const auto out = (entry.path().parent_path() / yaml["output"].as<std::string>()).lexically_normal();
        EXPECT_EQ(out.parent_path(), root / "runs") << entry.path() << " reports to " << out;
        continue;
      }
      const auto recipe = Recipe::load(entry.path().string());
      const auto dir = std::filesystem::path(recipe.file_path("output.dir")).lexically_normal();
      EXPECT_EQ(dir.parent_path(), root / "runs") << entry.path() << " writes to " << dir;
      ++checked;
    }
  EXPECT_GE(checked, 12);
}

// train.epochs counts optimizer steps of the global batch: batch_size x grad_accum on every process
// of a distributed launch (issue 17), so two ranks take half the steps of one process.
TEST(TrainSettings, EpochsCountStepsOfTheGlobalBatch) {
  TempDir dir;
  write_file_atomically(dir.file("r.yaml"), "model: {path: m}\nadapters: {preset: attention_only}\ndata: {train: {format: alpaca, path: t.json}}\n"
                                           "train: {epochs: 2, batch_size: 2, grad_accum: 3}\n");
  const auto settings = train_settings(Recipe::load(dir.file("r.yaml")));
  EXPECT_EQ(total_steps(settings, 60), 20);     // 120 samples, 6 a step
  EXPECT_EQ(total_steps(settings, 60, 1), 20);
  EXPECT_EQ(total_steps(settings, 60, 2), 10);  // 12 a step
  EXPECT_EQ(total_steps(settings, 61, 2), 11);  // the last step partly a new epoch
  EXPECT_EQ(total_steps(train_settings(Recipe::load(dir.file("r.yaml"), {"train.steps=7"})), 60, 4), 7);
}

// Issue 14, item 9: PEFT's and the Trainer's names get vltune's as the suggestion.
TEST(Recipe, ForeignKeyNamesSuggestVltunesNames) {
  TempDir dir;
  write_file_atomically(dir.file("r.yaml"), "model: {path: m}\ntrain: {learning_rate: 1e-4, max_steps: 4}\n");
  expect_error([&] { Recipe::load(dir.file("r.yaml")); },
               {"unknown key 'train.learning_rate' (did you mean 'lr'?)", "unknown key 'train.max_steps' (did you mean 'steps'?)"});
  write_file_atomically(dir.file("a.yaml"), "adapters: {preset: attention_only, r: 8, lora_alpha: 16}\n");
  expect_error([&] { adapters::load_placement(dir.file("a.yaml")); },
               {"unknown key 'r' in adapters (did you mean 'rank'?)", "unknown key 'lora_alpha' in adapters (did you mean 'alpha'?)"});
  write_file_atomically(dir.file("b.yaml"), "adapters: {rules: [{component: language, target_modules: [q_proj]}]}\n");
  expect_error([&] { adapters::load_placement(dir.file("b.yaml")); }, {"unknown key 'target_modules'", "(did you mean 'modules'?)"});
}

// Issue 14, item 10: --run-dir and output.dir resolve by one rule (run_directory.h): NAME is the
// recipe's stem, and a relative path is relative to where it was written: the recipe file that
// set it (a base's, through extends), the recipe's folder for the default, the current directory
// for the command line (--run-dir, and --set output.dir, which once resolved against the recipe).
TEST(Recipe, RunDirAndOutputDirResolveByOneRule) {
  const std::string kMinimal = "model: {path: m}\nadapters: {preset: attention_only}\ndata: {train: {format: llava, path: t.json}}\n";
  TempDir dir;
  std::filesystem::create_directories(dir.file("recipes/base"));
  write_file_atomically(dir.file("recipes/base/base.yaml"), kMinimal + "output: {dir: ../../runs/NAME}\n");
  write_file_atomically(dir.file("recipes/exp.yaml"), "extends: base/base.yaml\n");
  write_file_atomically(dir.file("recipes/plain.yaml"), kMinimal);
  const auto normal = [](const std::filesystem::path& path) { return path.lexically_normal().string(); };
  EXPECT_EQ(run_directory(Recipe::load(dir.file("recipes/exp.yaml"))), normal(dir.path() / "runs/exp"));
  EXPECT_EQ(run_directory(Recipe::load(dir.file("recipes/plain.yaml"))), normal(dir.path() / "recipes/runs/plain"));
  EXPECT_EQ(run_directory(Recipe::load(dir.file("recipes/exp.yaml"), {"output.dir=elsewhere/NAME"})), "elsewhere/exp");
  EXPECT_EQ(run_directory(Recipe::load(dir.file("recipes/exp.yaml")), "elsewhere/NAME-2"), "elsewhere/exp-2");
  EXPECT_EQ(run_directory(Recipe::load(dir.file("recipes/exp.yaml")), "./a/../b"), "b");
  EXPECT_EQ(run_directory(Recipe::load(dir.file("recipes/exp.yaml"), {"output.dir=/abs/NAME"})), "/abs/exp");
}

// The one form every whole-input check reports in (core/problems.h).
TEST(Problems, EveryProblemInOneErrorWithItsHint) {
  fail_if_any("[recipe] r.yaml: 0 problem(s)", {});  // nothing to report: no throw
  try {
    fail_if_any("[checkpoint] m: 2 problem(s)", {"first", "second"}, "a hint");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "[checkpoint] m: 2 problem(s):\n  - first\n  - second\n  hint: a hint");
  }
}

TEST(Recipe, ExtendsSetAndDefaults) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("base"));
  write_file_atomically(dir.file("base/base.yaml"), "model: {path: ../models/tiny, dtype: bfloat16}\n"
                                                    "adapters: {preset: attention_only, method: dora}\n"
                                                    "data:\n  train: {format: llava, path: data/train.json}\n  template: plain\n"
                                                    "train: {lr: 2e-4, batch_size: 4}\n");
  write_file_atomically(dir.file("exp.yaml"), "extends: base/base.yaml\ntrain: {batch_size: 16}\n");
  const auto recipe = Recipe::load(dir.file("exp.yaml"), {"train.lr=1e-4", "train.steps=50"});
  EXPECT_EQ(recipe.integer("train.batch_size"), 16);  // the child wins
  EXPECT_DOUBLE_EQ(recipe.number("train.lr"), 1e-4);   // --set wins, and 1e-4 is a number
  EXPECT_EQ(recipe.integer("train.steps"), 50);
  EXPECT_EQ(recipe.str("model.dtype"), "bfloat16");    // from the base
  EXPECT_EQ(recipe.str("data.template"), "plain");
  EXPECT_EQ(recipe.str("train.schedule"), "cosine");   // the schema's default
  EXPECT_FALSE(recipe.boolean("train.gradient_checkpointing"));
  // Paths resolve against the file that set them.
  EXPECT_EQ(recipe.file_path("model.path"), (dir.path() / "models/tiny").lexically_normal().string());
  EXPECT_THAT(recipe.where("train.batch_size"), HasSubstr("exp.yaml:2:"));
  EXPECT_EQ(recipe.where("train.lr"), "--set train.lr=1e-4");
}

TEST(Recipe, EveryProblemAtOnceWithWhereItWasWritten) {
  TempDir dir;
  write_file_atomically(dir.file("r.yaml"), "model: {dtype: fp8}\n"
                                            "adapters: {preset: atention_only}\n"
                                            "data:\n  train: {format: llava, pth: x.json}\n"
                                            "train: {lr: fast, batchsize: 4, gradient_checkpointing: maybe}\n"
                                            "evl: {every: 10}\n");
  expect_error([&] { Recipe::load(dir.file("r.yaml"), {"train.warmup_steps=ten"}); },
               {"problem(s)", "r.yaml:1:16: key 'model.dtype': expected one of float32, bfloat16, float16",
                "key 'train.lr': expected a number", "unknown key 'train.batchsize' (did you mean 'batch_size'?)",
                "key 'train.gradient_checkpointing': expected true or false", "unknown key 'evl' (did you mean 'eval'?)",
                "--set train.warmup_steps=ten: key 'train.warmup_steps': expected an integer",
                "required key 'model.path' is missing", "unknown preset 'atention_only'", "unknown key 'pth'"});
}

TEST(Recipe, PackingIsOffByDefaultAndTakesOnlyABoolean) {
  TempDir dir;
  const std::string body = "model: {path: m}\nadapters: {preset: attention_only}\ndata:\n  train: {format: llava, path: t.json}\n";
  write_file_atomically(dir.file("r.yaml"), body);
  EXPECT_FALSE(Recipe::load(dir.file("r.yaml")).boolean("data.packing"));
  EXPECT_TRUE(Recipe::load(dir.file("r.yaml"), {"data.packing=true"}).boolean("data.packing"));
  write_file_atomically(dir.file("bad.yaml"), body + "  packing: 2048\n");
  expect_error([&] { Recipe::load(dir.file("bad.yaml")); }, {"bad.yaml:5:", "key 'data.packing': expected true or false"});
  expect_error([&] { Recipe::load(dir.file("r.yaml"), {"data.packing=sometimes"}); },
               {"--set data.packing=sometimes: key 'data.packing': expected true or false"});
}

TEST(Recipe, BadFilesAndOverrides) {
  TempDir dir;
  write_file_atomically(dir.file("a.yaml"), "extends: b.yaml\n");
  write_file_atomically(dir.file("b.yaml"), "extends: a.yaml\n");
  expect_error([&] { Recipe::load(dir.file("a.yaml")); }, {"extends itself"});
  write_file_atomically(dir.file("c.yaml"), "extends: missing.yaml\n");
  expect_error([&] { Recipe::load(dir.file("c.yaml")); }, {"c.yaml:1:10", "missing.yaml, which does not exist"});
  write_file_atomically(dir.file("d.yaml"), "model: [1, 2\n");
  expect_error([&] { Recipe::load(dir.file("d.yaml")); }, {"d.yaml:"});
  write_file_atomically(dir.file("e.yaml"), "model: {path: m}\nadapters: {preset: full_layer}\ndata: {train: {format: llava, path: t.json}}\n");
  expect_error([&] { Recipe::load(dir.file("e.yaml"), {"train.lr"}); }, {"--set train.lr", "key.path=value"});
}


// data.validation: the held-out part depends only on the ids and the fraction; it is disjoint from
// the rest, together they are all the samples, and a larger fraction holds out a superset.
TEST(ValidationSplit, IsDisjointCoversTheDataAndDependsOnlyOnTheIds) {
  std::vector<datasets::Sample> samples(2000);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i].id = "train.json:" + std::to_string(i + 1);
  const auto split = split_validation(samples, 0.1);
  EXPECT_EQ(split.train.size() + split.validation.size(), samples.size());
  EXPECT_GT(split.validation.size(), 140u);  // 200 expected
  EXPECT_LT(split.validation.size(), 260u);
  std::set<std::string> held, trained;
  for (const auto& s : split.validation) held.insert(s.id);
  for (const auto& s : split.train) trained.insert(s.id);
  EXPECT_EQ(held.size(), split.validation.size());
  for (const auto& id : held) EXPECT_FALSE(trained.count(id)) << id;
  EXPECT_EQ(held.size() + trained.size(), samples.size());
  // The same ids in another order (another run's shuffle changes nothing, nor does the seed: there is none).
  auto reversed = samples;
  std::reverse(reversed.begin(), reversed.end());
  std::set<std::string> again;
  for (const auto& s : split_validation(reversed, 0.1).validation) again.insert(s.id);
  EXPECT_EQ(again, held);
  EXPECT_GT(split_validation(samples, 0.3).validation.size(), held.size());
  for (const auto& id : held) EXPECT_TRUE(held_out_for_validation(id, 0.3)) << id;
}

TEST(ValidationSplit, TheFractionIsCheckedNamingTheKey) {
  TempDir dir;
  write_file_atomically(dir.file("r.yaml"), "model: {path: m}\nadapters: {preset: full_layer}\ndata: {train: {format: llava, path: t.json}, validation: 0.7}\n");
  expect_error([&] { Recipe::load(dir.file("r.yaml")); }, {"r.yaml:3:", "data.validation", "0 (off) to 0.5"});
  expect_error([&] { Recipe::load(dir.file("r.yaml"), {"data.validation=-0.1"}); }, {"data.validation", "0 (off) to 0.5"});
  expect_error([&] { Recipe::load(dir.file("r.yaml"), {"data.validation=half"}); }, {"data.validation"});
  EXPECT_DOUBLE_EQ(Recipe::load(dir.file("r.yaml"), {"data.validation=0.5"}).number("data.validation"), 0.5);
}

}  // namespace
}  // namespace vltune::training
