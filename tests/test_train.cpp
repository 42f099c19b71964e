// The training engine end to end through the vltune binary, on the tiny fixture LLaVA and the
// built-in Fashion-MNIST data: train, checkpoint, SIGKILL, resume (bit-identical to a run that
// was never interrupted), evaluate, generate, export; compare; and the errors a user meets first.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "run_control.h"
#include "tensor_test_support.h"
#include "test_support.h"
#include "training_run.h"
#include "training/validation_split.h"

namespace fs = std::filesystem;
using vltune::test::data_path;
using vltune::test::run_vltune;
using vltune::test::TempDir;
using vltune::test::adapter_tensors;
using vltune::test::train_and_kill;

TEST_F(TrainingRun, KilledAndResumedEndsBitIdenticalToAnUninterruptedRun) {
  const auto straight = dir_->file("straight"), killed = dir_->file("killed");
  auto result = run_vltune("train " + recipe() + " --run-dir " + straight);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("trained 12 steps"));

  ASSERT_TRUE(train_and_kill(recipe(), killed)) << "the run finished before it could be killed";
  ASSERT_FALSE(fs::exists(killed + "/checkpoints/step-00000012"));
  result = run_vltune("train " + recipe() + " --run-dir " + killed);
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("--resume"));
  result = run_vltune("train " + recipe() + " --run-dir " + killed + " --resume");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("resuming"));

  const auto expected = adapter_tensors(straight, "step-00000012");
  const auto resumed = adapter_tensors(killed, "step-00000012");
  ASSERT_EQ(expected.size(), resumed.size());
  ASSERT_GT(expected.size(), 0u);
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(resumed.count(name)) << name;
    EXPECT_TRUE(torch::equal(tensor, resumed.at(name))) << name << " differs after the resume";
  }
  // The adapter did train: DoRA's B starts at zero.
  bool trained = false;
  for (const auto& [name, tensor] : expected)
    if (vltune::test::contains(name, "lora_B")) trained |= vltune::test::max_abs(tensor) > 0;
  EXPECT_TRUE(trained);
  // keep_last: 2
  int checkpoints = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(straight + "/checkpoints")) ++checkpoints;
  EXPECT_EQ(checkpoints, 2);
}

TEST_F(TrainingRun, RunDirectoryEvaluatesAndExports) {
  const auto run = dir_->file("run");
  auto result = run_vltune("train " + recipe() + " --run-dir " + run + " --set train.steps=4");
  ASSERT_EQ(result.status, 0) << result.output;
  // Issue 14, item 7: the run's size before its first step, and the evaluation's progress.
  // The eval set holds 48 samples, of which eval.max_samples: 16 are scored.
  const auto header = result.output.find("run " + run + " (a new run)\n  data      48 training samples (0 bad samples skipped), eval 16 of 48 samples\n");
  EXPECT_NE(header, std::string::npos) << result.output;
  EXPECT_LT(header, result.output.find("step 1/4")) << result.output;
  EXPECT_THAT(result.output, HasSubstr("schedule  4 steps of 8 samples = 0.67 epochs"));
  EXPECT_THAT(result.output, HasSubstr("eval 16/16"));
  for (const char* file : {"recipe.yaml", "metrics.jsonl", "summary.json"}) EXPECT_TRUE(fs::exists(run + "/" + file)) << file;
  std::ifstream metrics(run + "/metrics.jsonl");
  int train_lines = 0;
  for (std::string line; std::getline(metrics, line);) train_lines += vltune::test::contains(line, "\"kind\":\"train\"");
  EXPECT_EQ(train_lines, 4);

  result = run_vltune("eval " + run);
  ASSERT_EQ(result.status, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output.substr(result.output.find('{')));
  EXPECT_GT(json.at("loss").get<double>(), 0.0);
  EXPECT_NEAR(json.at("perplexity").get<double>(), std::exp(json.at("loss").get<double>()), 1e-6);

  // generate with the run's adapter on a Fashion-MNIST test image: the last step of the loop.
  const auto adapter = run + "/checkpoints/step-00000004/adapter";
  result = run_vltune("generate --model " + dir_->file("model") + " --adapter " + adapter + " --image " +
                      dir_->file("fm/images/test/00000.png") + " --prompt 'What is this item?' --max-new-tokens 4 --show-ids");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("ids:"));

  result = run_vltune("export " + run + " --merged " + dir_->file("merged"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(dir_->file("merged/model.safetensors")));
  EXPECT_TRUE(fs::exists(dir_->file("merged/tokenizer.model")));
  result = run_vltune("export " + run + " --peft " + dir_->file("peft"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(dir_->file("peft/adapter_config.json")));
}

namespace {

// The one tensor of `file` whose name ends with `suffix`.
torch::Tensor tensor_ending(const std::string& file, const std::string& suffix) {
  const auto weights = vltune::safetensors::File::open(file);
  for (const auto& info : weights->tensors())
    if (info.name.size() >= suffix.size() && info.name.compare(info.name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return weights->tensor(info.name).clone();
  ADD_FAILURE() << file << " has no tensor ending in " << suffix;
  return torch::zeros({1});
}

}  // namespace

// Issue 16: `embeddings: train` trains the token, patch and position embeddings whole. The run's
// adapter carries them (PEFT's modules_to_save), a merged export holds exactly what trained, a
// killed run resumes to the same embeddings, and --peft, which cannot carry them, refuses.
TEST_F(TrainingRun, EmbeddingsTrainWholeAndTheMergedExportHoldsThem) {
  std::ofstream(dir_->file("embeddings.yaml")) << "extends: recipe.yaml\nadapters: {preset: attention_only, method: lora, rank: 4, alpha: 8, embeddings: train}\n";
  const auto recipe = dir_->file("embeddings.yaml"), straight = dir_->file("embeddings-run"), killed = dir_->file("embeddings-killed");
  auto result = run_vltune("train " + recipe + " --run-dir " + straight);
  ASSERT_EQ(result.status, 0) << result.output;
  const auto adapter = straight + "/checkpoints/step-00000012/adapter";
  const auto config = nlohmann::json::parse(std::ifstream(adapter + "/adapter_config.json"));
  EXPECT_EQ(config.at("modules_to_save"), nlohmann::json({"patch_embedding", "position_embedding", "embed_tokens"}));
  const auto base = dir_->file("model/model.safetensors");
  const char* names[] = {"embed_tokens.weight", "patch_embedding.weight", "position_embedding.weight"};
  for (const char* name : names) {
    const auto trained = tensor_ending(adapter + "/adapter_model.safetensors", name);
    EXPECT_GT((trained - tensor_ending(base, name)).abs().max().item<double>(), 1e-4) << name << " did not train";
  }
  result = run_vltune("export " + straight + " --merged " + dir_->file("embeddings-merged"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char* name : names)
    EXPECT_TRUE(torch::equal(tensor_ending(dir_->file("embeddings-merged/model.safetensors"), name),
                             tensor_ending(adapter + "/adapter_model.safetensors", name))) << name;
  result = run_vltune("export " + straight + " --peft " + dir_->file("embeddings-peft"));
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("export it --merged"));

  ASSERT_TRUE(train_and_kill(recipe, killed)) << "the run finished before it could be killed";
  result = run_vltune("train " + recipe + " --run-dir " + killed + " --resume");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto resumed = killed + "/checkpoints/step-00000012/adapter/adapter_model.safetensors";
  for (const char* name : names)
    EXPECT_TRUE(torch::equal(tensor_ending(resumed, name), tensor_ending(adapter + "/adapter_model.safetensors", name)))
        << name << " differs after the resume";
}

// Issue 14, defect 8: --set train.steps=4 on a recipe with 2 warm-up steps trains half in warm-up.
TEST_F(TrainingRun, AScheduleMostlyInWarmUpIsWarnedAbout) {
  auto result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("short") + " --set train.steps=4 --set output.save_every=0");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("train.warmup_steps (2) is at least half of the run's 4 steps"));
  result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("short5") + " --set train.steps=5 --set output.save_every=0");
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, Not(HasSubstr("warmup_steps")));
}

TEST_F(TrainingRun, ADivergingLossStopsNamingTheStepAndKeepsTheLastCheckpoint) {
  const auto run = dir_->file("diverged");
  const auto result = run_vltune("train " + recipe() + " --run-dir " + run + " --set train.lr=1e30 --set train.clip_grad_norm=0");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("training stopped"));
  EXPECT_THAT(result.output, HasSubstr("step "));
}

TEST_F(TrainingRun, CompareTrainsTwoVariantsOnOneBackboneAndWritesTheReport) {
  std::ofstream(dir_->file("compare.yaml")) << R"(# vltune compare compare.yaml
recipe: recipe.yaml
title: LoRA vs DoRA
metric: loss
seeds: [0, 1]
set: {train.steps: 3, output.save_every: 0, eval.metrics: [loss, exact_match], eval.max_new_tokens: 4}
variants:
  - {name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}
  - {name: dora, adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}}
)";
  const auto out = dir_->file("compare-out");
  const auto result = run_vltune("compare " + dir_->file("compare.yaml") + " --out " + out);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("| lora"));
  EXPECT_THAT(result.output, HasSubstr("report.html"));
  for (const char* file : {"report.md", "report.html", "results.csv", "results.json", "metric_vs_params.svg", "loss_curves.svg"})
    EXPECT_TRUE(fs::exists(out + "/" + file)) << file;
  // Issue 14, item 10: both variants have rank 4, so no rank plot; run paths are relative to the report.
  EXPECT_FALSE(fs::exists(out + "/metric_vs_rank.svg"));
  const auto report = vltune::test::read_text_file(out + "/report.md");
  EXPECT_THAT(report, HasSubstr("- lora seed 0: `runs/lora-seed0`"));
  std::ifstream csv(out + "/results.csv");
  std::string header;
  std::getline(csv, header);
  for (const char* column : {"variant", "method", "placement", "trainable_params", "trainable_percent", "peak_memory_mib",
                             "step_time_ms", "tokens_per_s", "loss"})
    EXPECT_THAT(header, HasSubstr(column)) << column << " missing from " << header;
  int rows = 0;
  for (std::string line; std::getline(csv, line);) rows += !line.empty();
  EXPECT_EQ(rows, 4);  // 2 variants x 2 seeds
  const auto json = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  ASSERT_EQ(json.at("variants").size(), 2u);
  // DoRA trains LoRA's A and B plus one magnitude per output row of q, k, v, o.
  EXPECT_GT(json["variants"][1]["trainable_params"].get<int64_t>(), json["variants"][0]["trainable_params"].get<int64_t>());
  EXPECT_EQ(vltune::test::count_occurrences(vltune::test::read_text_file(out + "/report.html"), "<svg"), 2);  // no rank plot: one rank
  for (const char* run : {"lora-seed0", "lora-seed1", "dora-seed0", "dora-seed1"})
    EXPECT_TRUE(fs::exists(out + "/runs/" + run + "/checkpoints/step-00000003")) << run;
  // Issue 16: every run records its eval items and each item's score; their mean is the run's metric.
  for (const auto& run : json.at("runs")) {
    const auto& scores = run.at("item_scores").at("exact_match");
    ASSERT_EQ(run.at("item_ids").size(), 16u);
    ASSERT_EQ(scores.size(), 16u);
    double sum = 0;
    for (const auto& score : scores) sum += score.get<double>();
    EXPECT_DOUBLE_EQ(sum / 16, run.at("metrics").at("exact_match").get<double>());
    EXPECT_FALSE(run.at("item_scores").contains("loss"));  // not a mean over items
  }
  EXPECT_EQ(json["runs"][0]["item_ids"], json["runs"][3]["item_ids"]);  // the same items, so they pair
}

TEST_F(TrainingRun, CompareSplitsIntoShardsAndReusesFinishedRuns) {
  std::ofstream(dir_->file("shards.yaml")) << R"(recipe: recipe.yaml
metric: loss
set: {train.steps: 2, output.save_every: 0}
variants:
  - {name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}
  - {name: dora, adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}}
)";
  const auto out = dir_->file("shards-out");
  auto compare = [&](const std::string& extra) { return run_vltune("compare " + dir_->file("shards.yaml") + " --out " + out + extra); };
  auto result = compare(" --shard 1/2");  // run 0 of [lora, dora]
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(out + "/runs/lora-seed0/compare_run.json"));
  EXPECT_FALSE(fs::exists(out + "/runs/dora-seed0"));
  EXPECT_FALSE(fs::exists(out + "/report.html")) << "a shard writes no report";
  const auto lora_finished = fs::last_write_time(out + "/runs/lora-seed0/compare_run.json");
  result = compare(" --shard 2/2");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(out + "/runs/dora-seed0/compare_run.json"));
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "reused"), 1u) << result.output;

  result = compare("");  // every run finished: nothing trains, the report is written from their records
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "reused"), 2u) << result.output;
  EXPECT_EQ(fs::last_write_time(out + "/runs/lora-seed0/compare_run.json"), lora_finished);
  const auto json = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  ASSERT_EQ(json.at("runs").size(), 2u);
  EXPECT_EQ(json["runs"][0]["variant"], "lora");
  EXPECT_EQ(json["runs"][0]["loss_curve"].size(), 2u);
  EXPECT_TRUE(json["runs"][1]["metrics"].contains("loss"));

  std::ofstream(out + "/runs/lora-seed0/compare_run.json") << R"({"variant": "lora"})";  // a damaged record
  result = compare("");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("lora-seed0/compare_run.json: not a finished run's record"));

  result = compare(" --set train.steps=3");  // another recipe: both train again
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "trains again"), 2u) << result.output;
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(out + "/results.json"))["runs"][0]["loss_curve"].size(), 3u);
  result = compare(" --set train.steps=2 --shard 1/2");  // a shard says it trains again only the runs it trains
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "trains again"), 1u) << result.output;
  EXPECT_THAT(result.output, HasSubstr("dora-seed0: finished with another recipe; another shard trains it"));

  // A finished run stays until the run replacing it has finished. A backbone that cannot load touches
  // no run folder (this once removed every finished run it met, then failed on the device); a run
  // that fails while training leaves the finished one set aside beside its folder.
  const auto dora_record = out + "/runs/dora-seed0/compare_run.json";
  const auto dora_finished = fs::last_write_time(dora_record);
  result = compare(" --set train.steps=2 --set model.path=" + dir_->file("no-such-model"));
  EXPECT_NE(result.status, 0);
  EXPECT_TRUE(fs::exists(out + "/runs/lora-seed0/compare_run.json")) << result.output;
  EXPECT_EQ(fs::last_write_time(dora_record), dora_finished);
  result = compare(" --set train.steps=2 --set 'data.train={format: llava, path: " + dir_->file("no-such-data.json") + "}'");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr(".replaced-lora-seed0 beside it"));
  EXPECT_TRUE(fs::exists(out + "/runs/.replaced-lora-seed0/compare_run.json")) << result.output;
  EXPECT_EQ(fs::last_write_time(dora_record), dora_finished);
  result = compare(" --set train.steps=2");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_FALSE(fs::exists(out + "/runs/.replaced-lora-seed0"));
  EXPECT_FALSE(fs::exists(out + "/runs/.replaced-dora-seed0"));

  result = compare(" --shard 3/2");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("expected K/N with 1 <= K <= N"));
}

TEST_F(TrainingRun, TextOnlyModelTrainsOnAlpacaDataWithTheSameEngine) {
  train_text_model("text", {{dir_->file("tok.model"), "tokenizer.model"}}, "  template: chatml\n");
  // The text-only model reads images nowhere: a multimodal dataset is refused up front.
  const auto refused = run_vltune("train " + dir_->file("text.yaml") + " --run-dir " + dir_->file("text-run-2") +
                                  " --set 'data.train={format: llava, path: " + dir_->file("fm/vqa_train.json") + "}'");
  EXPECT_NE(refused.status, 0);
  EXPECT_THAT(refused.output, HasSubstr("text-only model"));
}

// A folder whose only tokenizer is a tokenizer.json (byte-level BPE with ChatML specials, 300 ids
// like the fixture's vocabulary): the recipe names no template, so the folder's chat template
// (ChatML) chooses chatml, and training and evaluation run through the tokenizer.json.
TEST_F(TrainingRun, TextModelTrainsWithOnlyATokenizerJson) {
  const auto tokenizer = data_path("tokenizer-goldens/tiny-chatml/");
  const auto output = train_text_model(
      "json", {{tokenizer + "tokenizer.json", "tokenizer.json"}, {tokenizer + "tokenizer_config.json", "tokenizer_config.json"}}, "");
  EXPECT_THAT(output, HasSubstr("data.template auto: chatml"));
}

TEST_F(TrainingRun, GradientCheckpointingTrainsTheSameAdapter) {
  const auto plain = dir_->file("ckpt-off"), checkpointed = dir_->file("ckpt-on");
  auto result = run_vltune("train " + recipe() + " --run-dir " + plain + " --set train.steps=2");
  ASSERT_EQ(result.status, 0) << result.output;
  result = run_vltune("train " + recipe() + " --run-dir " + checkpointed + " --set train.steps=2 --set train.gradient_checkpointing=true");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto expected = adapter_tensors(plain, "step-00000002"), got = adapter_tensors(checkpointed, "step-00000002");
  ASSERT_EQ(expected.size(), got.size());
  for (const auto& [name, tensor] : expected) EXPECT_TRUE(torch::equal(tensor, got.at(name))) << name;
}

// data.packing: the first step's loss (before any update) is the padded batches' to fp32 rounding,
// and the packed run trains to the end. Dropout off: its draws follow the batch's shape.
TEST_F(TrainingRun, PackedBatchesTrainWithThePaddedBatchesLoss) {
  const auto padded = dir_->file("padded-run"), packed = dir_->file("packed-run");
  const std::string common = " --set train.steps=2 --set adapters.dropout=0 --set eval.max_samples=4";
  auto result = run_vltune("train " + recipe() + " --run-dir " + padded + common);
  ASSERT_EQ(result.status, 0) << result.output;
  result = run_vltune("train " + recipe() + " --run-dir " + packed + common + " --set data.packing=true");
  ASSERT_EQ(result.status, 0) << result.output;
  auto first_loss = [](const std::string& run) {
    std::ifstream metrics(run + "/metrics.jsonl");
    for (std::string line; std::getline(metrics, line);) {
      const auto record = nlohmann::json::parse(line);
      if (record.value("kind", "") == "train" && record.value("step", 0) == 1) return record.at("loss").get<double>();
    }
    return -1.0;
  };
  const double want = first_loss(padded);
  ASSERT_GT(want, 0.0);
  EXPECT_NEAR(first_loss(packed), want, 1e-5 * want);
  EXPECT_FALSE(adapter_tensors(packed, "step-00000002").empty());
}

TEST_F(TrainingRun, PreparedCacheFollowsTheRecipeAndTrainsTheSameAdapter) {
  // A recipe that only extends the fixture's: prepare must find model.path and data through `extends`.
  std::ofstream(dir_->file("child.yaml")) << "extends: recipe.yaml\ntrain: {steps: 2}\n";
  auto result = run_vltune("prepare " + dir_->file("child.yaml") + " --out " + dir_->file("media-cache"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("prepared "));
  const auto live = dir_->file("live-run"), cached = dir_->file("cached-run");
  result = run_vltune("train " + dir_->file("child.yaml") + " --run-dir " + live);
  ASSERT_EQ(result.status, 0) << result.output;
  result = run_vltune("train " + dir_->file("child.yaml") + " --run-dir " + cached + " --set data.cache=" + dir_->file("media-cache"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto expected = adapter_tensors(live, "step-00000002"), got = adapter_tensors(cached, "step-00000002");
  ASSERT_EQ(expected.size(), got.size());
  for (const auto& [name, tensor] : expected) EXPECT_TRUE(torch::equal(tensor, got.at(name))) << name;
}

// Regression (2026-12-03, found on the GPU machine): a run trained from a recipe given relative
// to the working directory, with a cache that `vltune prepare` made from it, is evaluated through
// its recipe.yaml, whose paths are absolute. The cache keeps the relative paths; every lookup
// missed, so each image was decoded again, and where the images cannot be decoded (here: emptied,
// as tools/cache_placeholders.py leaves them on the GPU machine, which has no OpenCV) no sample was
// left. The eval now reads every image from the cache.
TEST_F(TrainingRun, EvaluatingARunReadsTheCacheItsRelativeRecipeMade) {
  const std::string in_dir = "cd " + dir_->path().string() + " && " + vltune::test::vltune_binary() + " ";
  fs::copy(dir_->file("fm"), dir_->file("fm-emptied"), fs::copy_options::recursive);
  std::ofstream(dir_->file("relative.yaml")) << "extends: recipe.yaml\n"
                                             << "data: {train: {format: llava, path: fm-emptied/vqa_train.json}, "
                                             << "eval: {format: llava, path: fm-emptied/vqa_test.json}}\ntrain: {steps: 2}\n";
  auto result = vltune::test::run_shell(in_dir + "prepare relative.yaml --out relative-cache");
  ASSERT_EQ(result.status, 0) << result.output;
  result = vltune::test::run_shell(in_dir + "train relative.yaml --run-dir relative-run --set data.cache=relative-cache");
  ASSERT_EQ(result.status, 0) << result.output;
  for (const auto& image : fs::recursive_directory_iterator(dir_->file("fm-emptied/images")))
    if (image.is_regular_file()) fs::resize_file(image.path(), 0);
  result = vltune::test::run_shell(in_dir + "eval " + dir_->file("relative-run") + " --set eval.max_samples=8");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("\"bad_samples\": 0"));
  EXPECT_THAT(result.output, Not(HasSubstr("no entry")));
  // From another working directory the cache's relative paths name other files: a miss is said.
  result = vltune::test::run_shell("cd / && " + vltune::test::vltune_binary() + " eval " + dir_->file("relative-run") +
                                   " --set eval.max_samples=8");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("the media cache has no entry for " + dir_->file("fm-emptied/images/")));
  EXPECT_THAT(result.output, HasSubstr("further misses are not reported"));
}

TEST_F(TrainingRun, ClipsSampledByFpsTrainWhenFramesAreAveraged) {
  auto result = run_vltune("data synthetic-video --clips 5 --frames 12 --out " + dir_->file("clips"));
  ASSERT_EQ(result.status, 0) << result.output;
  std::ofstream(dir_->file("fps.yaml")) << R"(extends: recipe.yaml
data:
  train: {format: llava, path: clips/qa_train.json}
  eval: {format: llava, path: clips/qa_test.json}
  num_frames: 0
  fps: 3
  temporal: mean
train: {steps: 2}
)";
  result = run_vltune("train " + dir_->file("fps.yaml") + " --run-dir " + dir_->file("fps-run"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(dir_->file("fps-run/checkpoints/step-00000002")));
  // Concatenated in time, clips of other lengths would get other token counts: refused up front.
  result = run_vltune("train " + dir_->file("fps.yaml") + " --run-dir " + dir_->file("fps-run-2") + " --set data.temporal=concat");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("fps.yaml"));
  EXPECT_THAT(result.output, HasSubstr("data.temporal: mean"));
}

// Issue 14, defect 3: generate and eval with an adapter from a run take the run's chat template,
// frame sampling and pooling. The model here has 128 positions: a clip at generate's defaults
// (8 frames of 25 tokens) does not fit, and is refused rather than answered with noise; the run
// trained on 2 frames in the plain template, which fit.
TEST_F(TrainingRun, GenerateAndEvalTakeTheRunsSettingsAndRefuseAPromptBeyondThePositions) {
  auto result = run_vltune("data synthetic-video --clips 5 --frames 12 --out " + dir_->file("gen-clips"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto model = dir_->file("model-128");
  fs::remove_all(model);
  fs::copy(dir_->file("model"), model, fs::copy_options::recursive);
  auto config = nlohmann::json::parse(std::ifstream(model + "/config.json"));
  config["text_config"]["max_position_embeddings"] = 128;
  std::ofstream(model + "/config.json", std::ios::trunc) << config.dump(1);
  std::ofstream(dir_->file("gen-video.yaml")) << R"(extends: recipe.yaml
model: {path: model-128}
data:
  train: {format: llava, path: gen-clips/qa_train.json}
  eval: {format: llava, path: gen-clips/qa_test.json}
  template: plain
  num_frames: 2
train: {steps: 2}
eval: {metrics: [loss, exact_match], max_new_tokens: 4}
)";
  const auto run = dir_->file("gen-video-run");
  result = run_vltune("train " + dir_->file("gen-video.yaml") + " --run-dir " + run);
  ASSERT_EQ(result.status, 0) << result.output;

  const auto clip = " --video " + dir_->file("gen-clips/videos/clip_00000.mp4") + " --prompt 'What moves?' --max-new-tokens 4 --show-ids";
  result = run_vltune("generate --model " + model + clip);
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("128 positions"));

  const auto from_run = run_vltune("generate --adapter " + run + clip);
  ASSERT_EQ(from_run.status, 0) << from_run.output;
  const auto ids = from_run.output.substr(from_run.output.find("ids:"));
  result = run_vltune("generate --model " + model + " --adapter " + run + "/checkpoints/step-00000002 --template plain --num-frames 2" + clip);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output.substr(result.output.find("ids:")), ids) << result.output;

  result = run_vltune("eval " + dir_->file("gen-video.yaml") + " --adapter " + run);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("exact_match"));
  result = run_vltune("eval " + run + " --set data.num_frames=8");
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("128 positions"));
}

TEST_F(TrainingRun, BadCompareFilesFailBeforeAnythingTrains) {
  auto write_and_run = [&](const std::string& text) {
    std::ofstream(dir_->file("bad-compare.yaml")) << text;
    return run_vltune("compare " + dir_->file("bad-compare.yaml") + " --out " + dir_->file("bad-compare-out"));
  };
  auto result = write_and_run("recipe: recipe.yaml\nvariants: [{name: a, adapters: {preset: attention_only}}]\nseed: [0]\n");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("seed"));
  EXPECT_THAT(result.output, HasSubstr("seeds")) << "no did-you-mean:\n" << result.output;
  result = write_and_run("recipe: missing.yaml\nvariants: [{name: a}]\n");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("does not exist"));
  result = write_and_run("recipe: recipe.yaml\n");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("no variants"));
  result = write_and_run("recipe: recipe.yaml\nvariants: [{name: a}, {name: b, set: {model.dtype: bfloat16}}]\n");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("variant 'b' changes model.dtype"));
  EXPECT_FALSE(fs::exists(dir_->file("bad-compare-out/runs")));
}

namespace {

// The ids of RUN/eval/step-N.jsonl, in order.
std::vector<std::string> answer_ids(const std::string& file) {
  std::vector<std::string> ids;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(nlohmann::json::parse(line).at("id").get<std::string>());
  return ids;
}

}  // namespace

// Issue 16: data.validation holds out the same training samples whatever the seed, and the run
// evaluates on exactly those instead of data.eval.
TEST_F(TrainingRun, AValidationSplitReplacesTheEvalSetTheSameInEveryRun) {
  const std::string common = " --set train.steps=1 --set output.save_every=0 --set eval.metrics=[loss,exact_match] --set eval.max_new_tokens=2 "
                             "--set eval.max_samples=0";
  std::vector<std::vector<std::string>> held;
  for (const char* seed : {"1", "2"}) {
    const auto run = dir_->file(std::string("validation-") + seed);
    const auto result = run_vltune("train " + recipe() + " --run-dir " + run + common + " --set data.validation=0.25 --set train.seed=" + seed);
    ASSERT_EQ(result.status, 0) << result.output;
    held.push_back(answer_ids(run + "/eval/step-1.jsonl"));
    EXPECT_THAT(result.output, HasSubstr("data.validation 0.25: " + std::to_string(held.back().size()) + " of the 48 training samples held out"));
  }
  EXPECT_EQ(held[0], held[1]);
  ASSERT_GT(held[0].size(), 3u);
  ASSERT_LT(held[0].size(), 24u);
  for (const auto& id : held[0]) EXPECT_TRUE(vltune::training::held_out_for_validation(id, 0.25)) << id;
  const auto test_run = dir_->file("validation-off");
  const auto result = run_vltune("train " + recipe() + " --run-dir " + test_run + common);
  ASSERT_EQ(result.status, 0) << result.output;
  const auto test_ids = answer_ids(test_run + "/eval/step-1.jsonl");
  EXPECT_EQ(test_ids.size(), 48u);
  for (const auto& id : held[0]) EXPECT_EQ(std::count(test_ids.begin(), test_ids.end(), id), 0) << id << " is a test item";
}

// Eval answers decode eval.batch_size prompts at a time (multimodal::generate_batch, left-padded):
// one prompt at a time and 7 at a time (the last batch short) write the same answers in the same order.
TEST_F(TrainingRun, EvalAnswersDoNotDependOnTheEvalBatchSize) {
  const std::string common = " --set train.steps=1 --set output.save_every=0 --set eval.metrics=[exact_match] "
                             "--set eval.max_new_tokens=5 --set eval.max_samples=0";
  std::vector<std::string> files;
  for (const char* size : {"1", "7"}) {
    const auto run = dir_->file(std::string("eval-batch-") + size);
    const auto result = run_vltune("train " + recipe() + " --run-dir " + run + common + " --set eval.batch_size=" + size);
    ASSERT_EQ(result.status, 0) << result.output;
    files.push_back(vltune::test::read_text_file(run + "/eval/step-1.jsonl"));
  }
  EXPECT_EQ(answer_ids(dir_->file("eval-batch-1/eval/step-1.jsonl")).size(), 48u);
  EXPECT_EQ(files[0], files[1]);
}

// Issue 16: tune: trains each variant once per candidate lr on the validation split, keeps the best
// one (here lr 1e-2 against one too small to move the weights: the loss tells them apart), and the
// seed runs train with it; everything is reused on the next run.
TEST_F(TrainingRun, CompareTunesEachVariantsLrOnTheValidationSplit) {
  std::ofstream(dir_->file("tune.yaml")) << R"(recipe: recipe.yaml
metric: loss
seeds: [0, 1]
set: {train.steps: 4, output.save_every: 0}
tune: {lr: [1e-9, 1e-2], validation: 0.25, seed: 3, set: {eval.max_samples: 6, eval.metrics: [exact_match, loss]}}
variants:
  - {name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}
  - {name: dora, adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}, tune: {lr: [1e-2, 1e-10]}}
)";
  const auto out = dir_->file("tune-out");
  auto result = run_vltune("compare " + dir_->file("tune.yaml") + " --out " + out);
  ASSERT_EQ(result.status, 0) << result.output;
  const auto tuning = nlohmann::json::parse(std::ifstream(out + "/tuning.json"));
  EXPECT_EQ(tuning.at("primary_metric"), "loss");
  EXPECT_EQ(tuning.at("validation"), 0.25);
  EXPECT_EQ(tuning.at("seed"), 3);
  ASSERT_EQ(tuning.at("variants").size(), 2u);
  for (const auto& variant : tuning["variants"]) {
    ASSERT_EQ(variant.at("candidates").size(), 2u);
    double best = 1e30, best_lr = 0;
    for (const auto& c : variant["candidates"]) {
      const auto loss = c.at("metrics").at("loss").get<double>();
      if (loss < best) best = loss, best_lr = c.at("lr").get<double>();
      EXPECT_TRUE(fs::exists(out + "/" + c.at("run").get<std::string>() + "/compare_run.json")) << c.dump();
      // Tuning runs hold out a quarter of the training data and evaluate on 6 of those.
      EXPECT_THAT(vltune::test::read_text_file(out + "/" + c.at("run").get<std::string>() + "/recipe.yaml"), HasSubstr("validation: 0.25"));
      EXPECT_EQ(c.value("items", int64_t{0}), 6) << c.dump();  // the validation items scored (a generated metric's answers)
    }
    EXPECT_EQ(variant.at("chosen_lr").get<double>(), best_lr) << variant.dump();
    EXPECT_EQ(best_lr, 1e-2) << variant.dump();
  }
  EXPECT_EQ(tuning["variants"][1]["candidates"][1]["run"], "tune/dora-lr1e-10");  // the variant's own candidates
  const auto json = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  ASSERT_EQ(json.at("runs").size(), 4u);
  for (const auto& run : json["runs"]) {
    EXPECT_EQ(run.at("lr").get<double>(), 1e-2);
    EXPECT_EQ(run.at("item_ids").size(), 0u);  // loss only: no answers; the whole test split evaluated
  }
  const auto seed_recipe = vltune::test::read_text_file(out + "/runs/dora-seed1/recipe.yaml");
  EXPECT_THAT(seed_recipe, HasSubstr("lr: 1e-2"));
  EXPECT_THAT(seed_recipe, Not(HasSubstr("validation")));

  result = run_vltune("compare " + dir_->file("tune.yaml") + " --out " + out);  // all finished: nothing trains
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "reused"), 8u) << result.output;
  EXPECT_THAT(result.output, HasSubstr("tuned: dora lr 1e-2"));
}

// A tuning candidate whose run diverges (2026-12-03: rsLoRA at rank 64 and lr 8e-3 stopped on an
// infinite gradient norm, which failed its whole study) is a result: diverged.json records it, tuning
// never chooses it, and a rerun reuses it. A seed run that diverges still fails the comparison.
TEST_F(TrainingRun, ATuningCandidateThatDivergesIsRecordedAndNeverChosen) {
  std::ofstream(dir_->file("diverge.yaml")) << R"(recipe: recipe.yaml
metric: loss
set: {train.steps: 3, output.save_every: 0}
tune: {lr: [1e-2, 1e30], validation: 0.25}
variants: [{name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}]
)";
  const auto out = dir_->file("diverge-out");
  auto result = run_vltune("compare " + dir_->file("diverge.yaml") + " --out " + out);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("lora lr 1e30 (tuning): diverged at step"));
  const auto tuning = nlohmann::json::parse(std::ifstream(out + "/tuning.json"));
  const auto& diverged = tuning["variants"][0]["candidates"][1];
  EXPECT_EQ(diverged.at("run"), "tune/lora-lr1e+30");
  EXPECT_FALSE(diverged.contains("metrics")) << diverged.dump();
  EXPECT_GE(diverged.at("diverged").at("step").get<int64_t>(), 1) << diverged.dump();
  EXPECT_THAT(diverged["diverged"].at("cause").get<std::string>(), ::testing::ContainsRegex("^the (loss|gradient norm|trained values) ")) << diverged.dump();
  EXPECT_TRUE(fs::exists(out + "/tune/lora-lr1e+30/diverged.json"));
  EXPECT_FALSE(fs::exists(out + "/tune/lora-lr1e+30/compare_run.json"));
  EXPECT_EQ(tuning["variants"][0].at("chosen_lr").get<double>(), 1e-2);
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(out + "/results.json"))["runs"][0]["lr"].get<double>(), 1e-2);

  result = run_vltune("compare " + dir_->file("diverge.yaml") + " --out " + out);  // nothing trains again
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("lora lr 1e30 (tuning): diverged before at step"));
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "reused"), 3u) << result.output;

  // A finished run (of another recipe) that a diverging run replaces stays set aside.
  const auto folder = out + "/tune/lora-lr1e+30";
  fs::remove(folder + "/diverged.json");
  std::ofstream(folder + "/recipe.yaml") << "another: recipe\n";
  std::ofstream(folder + "/compare_run.json") << "{}";
  result = run_vltune("compare " + dir_->file("diverge.yaml") + " --out " + out);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("lora-lr1e+30: finished with another recipe; it trains again"));
  EXPECT_TRUE(fs::exists(folder + "/diverged.json"));
  EXPECT_TRUE(fs::exists(out + "/tune/.replaced-lora-lr1e+30/compare_run.json")) << result.output;

  std::ofstream(out + "/tune/lora-lr1e+30/diverged.json") << "{\"cause\": 3}";  // a damaged record
  result = run_vltune("compare " + dir_->file("diverge.yaml") + " --out " + out);
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("lora-lr1e+30/diverged.json: not a diverged run's record"));

  std::ofstream(dir_->file("diverge-all.yaml")) << R"(recipe: recipe.yaml
metric: loss
set: {train.steps: 3, output.save_every: 0}
tune: {lr: [1e30], validation: 0.25}
variants: [{name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}]
)";
  result = run_vltune("compare " + dir_->file("diverge-all.yaml") + " --out " + dir_->file("diverge-all"));
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("every tuning run diverged"));
  std::ofstream(dir_->file("diverge-seed.yaml")) << R"(recipe: recipe.yaml
metric: loss
set: {train.steps: 3, output.save_every: 0, train.lr: 1e30}
variants: [{name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}]
)";
  result = run_vltune("compare " + dir_->file("diverge-seed.yaml") + " --out " + dir_->file("diverge-seed"));
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("training stopped"));
  EXPECT_FALSE(fs::exists(dir_->file("diverge-seed") + "/runs/lora-seed0/diverged.json"));
}

// Sharded, the tuning goes first (--tune-only, each shard its share); a shard of the seed runs
// refuses to start before it has ended.
TEST_F(TrainingRun, ShardedTuningRunsBeforeTheSeedShards) {
  std::ofstream(dir_->file("tune-shards.yaml")) << R"(recipe: recipe.yaml
metric: loss
set: {train.steps: 2, output.save_every: 0}
tune: {lr: [1e-3, 1e-2], validation: 0.25}
variants: [{name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}]
)";
  const auto out = dir_->file("tune-shards-out");
  auto compare = [&](const std::string& extra) { return run_vltune("compare " + dir_->file("tune-shards.yaml") + " --out " + out + extra); };
  auto result = compare(" --shard 1/2");
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("the tuning is not finished (" + out + "/tune/lora-lr0.001 has no finished run)"));
  EXPECT_THAT(result.output, HasSubstr("--tune-only"));
  EXPECT_FALSE(fs::exists(out + "/runs"));
  result = compare(" --tune-only --shard 2/2");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(out + "/tune/lora-lr0.01/compare_run.json"));
  EXPECT_FALSE(fs::exists(out + "/tune/lora-lr0.001"));
  EXPECT_FALSE(fs::exists(out + "/tuning.json"));
  result = compare(" --tune-only --shard 1/2");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(out + "/tuning.json"));
  EXPECT_FALSE(fs::exists(out + "/runs")) << "--tune-only stops before the seed runs";
  result = compare(" --shard 1/2");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(out + "/runs/lora-seed0/compare_run.json"));
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "reused"), 2u) << result.output;
}

// tools/results_finish.sh on a methods study: ΔM/ΔD when every FT, LoRA and DoRA seed run has its
// checkpoints; the committed analysis kept when none has (runs restored from records, as on a fresh
// GPU machine); a refusal naming RETRAIN when only some have, since one analysis cannot cover both
// (before, gpu_results.sh deleted every restored run so that it trained again).
TEST_F(TrainingRun, FinishingAMethodsStudyAnalysesKeepsOrRefusesByTheRunsCheckpoints) {
  const auto repo = fs::path(VLTUNE_TEST_DATA).parent_path().parent_path().lexically_normal();
  const auto root = fs::path(dir_->file("finish-root"));
  fs::create_directories(root / "recipes/results/tasks");
  fs::create_directory_symlink(repo / "tools", root / "tools");
  std::ofstream(root / "recipes/results/tasks/t.yaml") << "extends: ../../../../recipe.yaml\n";
  std::ofstream(root / "recipes/results/t-methods.yaml")
      << "recipe: tasks/t.yaml\nmetric: loss\nseeds: [0]\nset: {train.steps: 2, output.save_every: 1, output.keep_last: 0}\n"
         "variants:\n  - {name: ft, adapters: {preset: attention_only, method: full}}\n"
         "  - {name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}\n"
         "  - {name: dora, adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}}\n"
         "output: ../../runs/results/t-methods\n";
  const auto in_root = "cd " + root.string() + " && ";
  auto result = vltune::test::run_shell(in_root + vltune::test::vltune_binary() + " compare recipes/results/t-methods.yaml");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto finish = [&] {
    return vltune::test::run_shell(in_root + "VLTUNE=" + vltune::test::vltune_binary() +
                                   " bash tools/results_finish.sh recipes/results/t-methods.yaml");
  };
  const auto runs = root / "runs/results/t-methods";
  const auto committed = root / "docs/results/t-methods/analysis/analysis.csv";
  result = finish();
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(fs::exists(committed)) << result.output;
  EXPECT_TRUE(fs::exists(root / "docs/results/t-methods/base.json"));

  fs::remove_all(runs / "runs/lora-seed0/checkpoints");
  std::ofstream(committed) << "the committed analysis\n";
  result = finish();
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("2 of 3 FT, LoRA and DoRA seed runs have checkpoints"));
  EXPECT_THAT(result.output, HasSubstr("RETRAIN=t-methods"));

  // As on a fresh machine: the records came back, the checkpoints and the run's own analysis did not.
  fs::remove_all(runs / "runs/ft-seed0/checkpoints");
  fs::remove_all(runs / "runs/dora-seed0/checkpoints");
  fs::remove_all(runs / "analysis");
  result = finish();
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("stays as committed"));
  EXPECT_EQ(vltune::test::read_text_file(committed), "the committed analysis\n");
}

// tools/drop_runs.sh: a variant's seed and tuning runs are dropped (with --before, only those whose
// summary.json is older), no other variant's, however its name begins; a bad STUDY/VARIANT or
// --before time stops it naming that; and `vltune compare` then trains what was dropped and reuses the rest.
TEST_F(TrainingRun, DroppingRunsTakesOnlyThatVariantsOlderRunsAndCompareTrainsThemAgain) {
  const auto repo = fs::path(VLTUNE_TEST_DATA).parent_path().parent_path().lexically_normal();
  const auto root = fs::path(dir_->file("drop-root"));
  fs::create_directories(root / "recipes/results");
  fs::create_directory_symlink(repo / "tools", root / "tools");
  std::ofstream(root / "recipes/results/d.yaml")
      << "recipe: ../../../recipe.yaml\nmetric: loss\nseeds: [0, 1]\nset: {train.steps: 2, output.save_every: 0}\n"
         "tune: {lr: [1e-3, 1e-2], validation: 0.25}\n"
         "variants:\n  - {name: dora, adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}}\n"
         "  - {name: dora_x, adapters: {preset: attention_only, method: dora, rank: 2, alpha: 4}}\n"
         "output: ../../runs/results/d\n";
  const auto in_root = "cd " + root.string() + " && ";
  const auto compare = [&] { return vltune::test::run_shell(in_root + vltune::test::vltune_binary() + " compare recipes/results/d.yaml"); };
  auto result = compare();
  ASSERT_EQ(result.status, 0) << result.output;
  const auto runs = root / "runs/results/d";
  const auto old_time = fs::last_write_time(runs / "runs/dora-seed0/summary.json") - std::chrono::hours(24 * 365);
  fs::last_write_time(runs / "runs/dora-seed0/summary.json", old_time);
  fs::last_write_time(runs / "tune/dora-lr0.001/summary.json", old_time);

  result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh --before '30 days ago' d/dora");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("d/dora: 2 runs to train again"));
  EXPECT_FALSE(fs::exists(runs / "runs/dora-seed0"));
  EXPECT_FALSE(fs::exists(runs / "tune/dora-lr0.001"));
  for (const std::string kept : {"runs/dora-seed1", "tune/dora-lr0.01", "runs/dora_x-seed0", "tune/dora_x-lr0.001"})
    EXPECT_TRUE(fs::exists(runs / kept / "compare_run.json")) << kept;
  result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh d/dora_x");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("d/dora_x: 4 runs to train again"));

  for (const std::string bad : {"d", "nope/dora", "d/"}) {
    result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh " + bad);
    EXPECT_EQ(result.status, 2) << bad << ": " << result.output;
    EXPECT_THAT(result.output, HasSubstr("'" + bad + "' is not STUDY/VARIANT")) << result.output;
  }
  result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh --before 'the day after never' d/dora");
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("--before 'the day after never' is not a time date reads"));
  result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh --before");  // no TIME after it
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("usage: bash tools/drop_runs.sh [--before TIME] [--seeds-only] STUDY/VARIANT..."));
  result = compare();
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "reused"), 2u) << result.output;  // dora seed 1, lr 1e-2
  EXPECT_TRUE(fs::exists(runs / "runs/dora_x-seed1/compare_run.json"));

  // --seeds-only keeps the tuning runs (gpu_results.sh's RETRAIN); a diverged tuning run's time is
  // its diverged.json's, so --before keeps a new one (it has no summary.json).
  result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh --seeds-only d/dora_x");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("d/dora_x: 2 runs to train again"));
  EXPECT_FALSE(fs::exists(runs / "runs/dora_x-seed0"));
  EXPECT_TRUE(fs::exists(runs / "tune/dora_x-lr0.001/compare_run.json"));
  fs::rename(runs / "tune/dora_x-lr0.01/summary.json", runs / "tune/dora_x-lr0.01/diverged.json");
  result = vltune::test::run_shell(in_root + "bash tools/drop_runs.sh --before '30 days ago' d/dora_x");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("d/dora_x: 0 runs to train again"));
  EXPECT_TRUE(fs::exists(runs / "tune/dora_x-lr0.01"));
}

// tools/compare_pool.sh on two files with tune:, one named as the start of the other's name: every
// tuning shard ends before the first seed shard starts, and each file gets its report and its
// study folder (before, "pool" counted pool-more's shards as its own, so its report never came).
TEST_F(TrainingRun, ThePoolRunsTheTuningShardsFirstAndFinishesEveryFile) {
  const auto repo = fs::path(VLTUNE_TEST_DATA).parent_path().parent_path().lexically_normal();
  const auto root = fs::path(dir_->file("pool-root"));
  fs::create_directories(root / "recipes");
  fs::create_directory_symlink(repo / "tools", root / "tools");
  for (const std::string name : {"pool", "pool-more"})
    std::ofstream(root / "recipes" / (name + ".yaml")) << "recipe: ../../recipe.yaml\nmetric: loss\nset: {train.steps: 2, output.save_every: 0}\n"
                                                          "tune: {lr: [1e-3, 1e-2], validation: 0.25}\n"
                                                          "variants: [{name: lora, adapters: {preset: attention_only, method: lora, rank: 4, alpha: 8}}]\n"
                                                          "output: ../runs/results/" << name << "\n";
  const auto result = vltune::test::run_shell("cd " + root.string() + " && VLTUNE=" + vltune::test::vltune_binary() +
                                              " SHARDS=2 CPU_WORKERS=2 CPU_THREADS=1 bash tools/compare_pool.sh recipes/pool.yaml@cpu "
                                              "recipes/pool-more.yaml@cpu");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, Not(HasSubstr("FAILED"))) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "done: pool tune "), 2u) << result.output;
  EXPECT_EQ(vltune::test::count_occurrences(result.output, "done: pool-more runs "), 2u) << result.output;
  EXPECT_LT(result.output.rfind(" tune "), result.output.find(" runs ")) << result.output;
  for (const std::string name : {"pool", "pool-more"}) {
    EXPECT_THAT(result.output, HasSubstr("== " + name + "\n| variant")) << result.output;
    EXPECT_TRUE(fs::exists(root / "docs/results" / name / "tuning.json")) << name;
    EXPECT_TRUE(fs::exists(root / "runs/results" / name / "report.md")) << name;
  }
}
