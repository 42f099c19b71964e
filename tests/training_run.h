// The training suites' shared fixture (test_train.cpp, test_hostile_runs.cpp): built-in data, a
// tokenizer and a model folder made once per test program through the vltune binary.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

// Fashion-MNIST (48 images per split), a tokenizer of the fixture's 300 pieces trained on its
// text, and a model folder: the fixture's weights and that tokenizer, with the image token moved
// to id 300, just past the vocabulary (as LLaVA checkpoints often place it), so no text piece is
// mistaken for an image token.
class TrainingRun : public ::testing::Test {
 protected:
  // Built once, by the first test; a failure here fails that test (and the next ones try again).
  void SetUp() override {
    if (!vltune::media::available())
      GTEST_SKIP() << "built without media support: the built-in Fashion-MNIST images need OpenCV";
    if (!ready_) build_inputs();
    ASSERT_TRUE(ready_);
  }
  // The tiny text-only fixture as DIR/<name>-model with `files` (source, name in the folder) as
  // its tokenizer, trained 3 steps on the built-in instructions with the recipe DIR/<name>.yaml
  // (its data section ending with `data_extra`) and evaluated on 8 of them; returns the output.
  static std::string train_text_model(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files,
                                      const std::string& data_extra) {
    namespace fs = std::filesystem;
    const auto model = fs::path(dir_->file(name + "-model"));
    fs::create_directories(model);
    for (const auto& entry : fs::directory_iterator(vltune::test::data_path("hf-tiny-llama3-text/base")))
      fs::copy_file(entry.path(), model / entry.path().filename());
    for (const auto& [source, target] : files) fs::copy_file(source, model / target);
    std::ofstream(dir_->file(name + ".yaml")) << "# vltune train " << name << ".yaml\nmodel: {path: " << name << "-model}\n" << R"(
adapters: {preset: full_layer, method: dora, rank: 4, alpha: 8}
data:
  train: {format: alpaca, path: fm/instruct_train.json}
  eval: {format: alpaca, path: fm/instruct_test.json}
)" << data_extra << R"(train: {steps: 3, batch_size: 4, lr: 1e-2}
eval: {metrics: [loss, exact_match], max_samples: 8, max_new_tokens: 4}
)";
    const auto run = dir_->file(name + "-run");
    const auto result = vltune::test::run_vltune("train " + dir_->file(name + ".yaml") + " --run-dir " + run);
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_THAT(result.output, HasSubstr("exact_match"));
    std::ifstream answers(run + "/eval/step-3.jsonl");
    int lines = 0;
    for (std::string line; std::getline(answers, line);) lines += nlohmann::json::parse(line).contains("prediction");
    EXPECT_EQ(lines, 8);
    return result.output;
  }
  static void build_inputs() {
    delete dir_;
    dir_ = new vltune::test::TempDir();
    auto result = vltune::test::run_vltune("data fashion-mnist --limit 48 --out " + dir_->file("fm"));
    ASSERT_EQ(result.status, 0) << result.output;
    result = vltune::test::run_vltune("tokenizer train --vocab 300 --out " + dir_->file("tok") + " --dataset " +
                                      dir_->file("fm/vqa_train.json") + " --dataset " + dir_->file("fm/caption_train.json"));
    ASSERT_EQ(result.status, 0) << result.output;
    std::filesystem::create_directories(dir_->file("model"));
    for (const auto& entry : std::filesystem::directory_iterator(vltune::test::data_path("hf-tiny-llava-clip-llama/base")))
      if (entry.path().filename() != "config.json") std::filesystem::copy_file(entry.path(), dir_->path() / "model" / entry.path().filename());
    auto config = nlohmann::json::parse(std::ifstream(vltune::test::data_path("hf-tiny-llava-clip-llama/base/config.json")));
    config["image_token_index"] = 300;
    std::ofstream(dir_->file("model/config.json")) << config.dump(1);
    std::filesystem::copy_file(dir_->file("tok.model"), dir_->file("model/tokenizer.model"));
    std::ofstream(dir_->file("recipe.yaml")) << R"(# vltune train recipe.yaml
model: {path: model}
adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8, dropout: 0.1}
data:
  train: {format: llava, path: fm/vqa_train.json}
  eval: {format: llava, path: fm/vqa_test.json}
  workers: 2
train: {steps: 12, batch_size: 4, grad_accum: 2, lr: 1e-2, warmup_steps: 2, seed: 7}
eval: {metrics: [loss, perplexity], max_samples: 16}
output: {dir: runs/NAME, save_every: 2, keep_last: 2, log_every: 1}
)";
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    ready_ = false;
  }
  static std::string recipe() { return dir_->file("recipe.yaml"); }
  static inline vltune::test::TempDir* dir_ = nullptr;
  static inline bool ready_ = false;
};
