// `vltune recipe check` runs every check `vltune train` runs before its first step (issue 14,
// item 4; training/preflight.h): each recipe below is one that `train` refuses at once, and
// `check` must refuse it too, with the same message, without training or writing a run folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "training_run.h"

namespace fs = std::filesystem;
using vltune::test::run_vltune;

namespace {

class RecipeCheck : public TrainingRun {
 protected:
  // DIR/<name>.yaml: the shared model with `adapters` and `train_data` (data.train), one step.
  static std::string write_recipe(const std::string& name, const std::string& adapters, const std::string& train_data) {
    const auto path = dir_->file(name + ".yaml");
    std::ofstream(path) << "model: {path: model}\nadapters: " << adapters << "\ndata:\n  train: " << train_data
                        << "\ntrain: {steps: 1, batch_size: 2}\noutput: {dir: runs/NAME}\n";
    return path;
  }
  static std::string write_recipe(const std::string& name, const std::string& train_data) {
    return write_recipe(name, "{preset: attention_only, method: dora, rank: 4, alpha: 8}", train_data);
  }

  // `check` and `train` both fail on `recipe` with a message holding `fragment`; neither writes
  // the run folder.
  static void expect_refused(const std::string& recipe, const std::string& fragment) {
    const auto run_dir = dir_->file("runs/" + fs::path(recipe).stem().string());
    const auto checked = run_vltune("recipe check " + recipe);
    EXPECT_EQ(checked.status, 1) << checked.output;
    EXPECT_THAT(checked.output, HasSubstr(fragment));
    EXPECT_THAT(checked.output, Not(HasSubstr("valid")));
    const auto trained = run_vltune("train " + recipe);
    EXPECT_EQ(trained.status, 1) << trained.output;
    EXPECT_THAT(trained.output, HasSubstr(fragment));
    EXPECT_FALSE(fs::exists(run_dir)) << run_dir;
  }
};

TEST_F(RecipeCheck, AValidRecipeIsCheckedWithoutTrainingOrWritingTheRun) {
  const auto recipe = write_recipe("valid", "{format: llava, path: fm/vqa_train.json}");
  const auto result = run_vltune("recipe check " + recipe);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr(": valid; model "));
  EXPECT_THAT(result.output, HasSubstr("48 training samples (0 for evaluation), 0 skipped"));
  EXPECT_THAT(result.output, HasSubstr("8 adapted modules"));  // q, k, v, o in 2 layers
  EXPECT_FALSE(fs::exists(dir_->file("runs/valid")));
  EXPECT_FALSE(fs::exists(dir_->file("runs")));
}

TEST_F(RecipeCheck, RefusesAnUnknownFormat) {
  expect_refused(write_recipe("unknown-format", "{format: llava2, path: fm/vqa_train.json}"), "unknown format 'llava2'");
}

TEST_F(RecipeCheck, RefusesAMissingAnnotationFile) {
  expect_refused(write_recipe("missing-file", "{format: llava, path: fm/vqa_missing.json}"),
                 "vqa_missing.json: the annotation file does not exist");
}

TEST_F(RecipeCheck, RefusesAMediaRootThatResolvesNothing) {
  fs::create_directories(dir_->file("empty-media"));
  expect_refused(write_recipe("no-media", "{format: llava, path: fm/vqa_train.json, media_root: empty-media}"),
                 "the training dataset has no usable sample");
}

// Media that exist but do not decode: reading finds the files, only preparing a sample shows them
// unusable, as the first step would.
TEST_F(RecipeCheck, RefusesMediaThatDoNotDecode) {
  fs::create_directories(dir_->file("broken"));
  std::ofstream(dir_->file("broken/a.png")) << "not an image";
  std::ofstream(dir_->file("broken/data.json"))
      << R"([{"id": "a", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"},)"
      << R"( {"from": "gpt", "value": "a shirt"}]}])";
  expect_refused(write_recipe("broken-media", "{format: llava, path: broken/data.json}"),
                 "none of the training dataset's 1 samples can be prepared");
}

TEST_F(RecipeCheck, RefusesARuleThatMatchesNoModule) {
  expect_refused(write_recipe("no-module", "{rules: [{component: language, modules: [q_proj], layers: [7], method: lora}]}",
                              "{format: llava, path: fm/vqa_train.json}"),
                 "matches no module");
}

}  // namespace
