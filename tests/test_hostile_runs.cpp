// Hostile runs through the vltune binary (issue 12): a damaged state.json, a resume that cannot
// load, training that turns the values non-finite, an export aimed at an existing adapter, stray
// folders among the checkpoints, a dataset with no usable sample, a device that is not there and
// wrongly typed dataset fields. Good data is never lost, and every failure is a message and a
// non-zero status.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "training_run.h"

namespace fs = std::filesystem;
using vltune::test::count_occurrences;
using vltune::test::read_text_file;
using vltune::test::run_vltune;

namespace {

// Every file under `dir`, by relative path, with its content: what "nothing was written" compares.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files[fs::relative(entry.path(), dir).string()] = read_text_file(entry.path());
  return files;
}

void replace_in_file(const std::string& path, const std::string& pattern, const std::string& replacement) {
  const auto text = std::regex_replace(read_text_file(path), std::regex(pattern), replacement);
  std::ofstream(path, std::ios::trunc) << text;
}

class HostileRun : public TrainingRun {
 protected:
  // A finished 4-step run (checkpoints step-2 and step-4), trained once and copied for each test.
  std::string good_run(const std::string& name) {
    const auto good = dir_->file("good-run");
    if (!fs::exists(good + "/checkpoints/step-00000004")) {
      const auto result = run_vltune("train " + recipe() + " --run-dir " + good + " --set train.steps=4");
      EXPECT_EQ(result.status, 0) << result.output;
    }
    const auto copy = dir_->file(name);
    fs::remove_all(copy);
    fs::copy(good, copy, fs::copy_options::recursive);
    return copy;
  }
  // Resumes `run` for 6 steps (--override: its recipe said 4) with more --sets.
  static std::string resume(const std::string& run, const std::string& sets) {
    return "train " + recipe() + " --run-dir " + run + " --resume --override --set train.steps=6 " + sets;
  }
};

TEST_F(HostileRun, ADamagedStateJsonIsRefusedBeforeAnythingIsWritten) {
  const std::vector<std::pair<std::string, std::string>> damages = {{R"("step": 4)", R"("step": -100)"},
                                                                    {R"("optimizer_steps": 4)", R"("optimizer_steps": 40)"},
                                                                    {R"("data_epoch": \d+)", R"("data_epoch": -1)"},
                                                                    {R"("data_cursor": \d+)", R"("data_cursor": 100000)"},
                                                                    {R"("data_cursor": \d+)", R"("data_cursor": -5)"},
                                                                    {R"("world_size": 1)", R"("world_size": 0)"}};
  for (const auto& [pattern, replacement] : damages) {
    const auto run = good_run("damaged");
    replace_in_file(run + "/checkpoints/step-00000004/state.json", pattern, replacement);
    const auto before = snapshot(run);
    const auto result = run_vltune(resume(run, ""));
    EXPECT_NE(result.status, 0) << replacement << "\n" << result.output;
    EXPECT_THAT(result.output, HasSubstr("state.json"));
    const auto key = replacement.substr(1, replacement.find('"', 1) - 1);
    EXPECT_THAT(result.output, HasSubstr(key)) << key << "\n" << result.output;
    EXPECT_TRUE(snapshot(run) == before) << replacement << ": the run folder changed";
  }
}

// A safetensors file's tensors by name: dtype, shape and bytes (the file's layout aside).
std::map<std::string, std::string> tensors_of(const std::string& path) {
  const auto bytes = read_text_file(path);
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, header_size));
  std::map<std::string, std::string> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const auto begin = entry.at("data_offsets")[0].get<uint64_t>(), end = entry.at("data_offsets")[1].get<uint64_t>();
    tensors[name] = entry.at("dtype").dump() + entry.at("shape").dump() + bytes.substr(8 + header_size + begin, end - begin);
  }
  return tensors;
}

// Sets every value of the F32 tensor `name` in a safetensors file to NaN, in place.
void poison_tensor(const std::string& path, const std::string& name) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header_size = 0;
  file.read(reinterpret_cast<char*>(&header_size), 8);
  std::string header(header_size, '\0');
  file.read(header.data(), static_cast<std::streamsize>(header_size));
  const auto entry = nlohmann::json::parse(header).at(name);
  ASSERT_EQ(entry.at("dtype"), "F32");
  const auto begin = entry.at("data_offsets")[0].get<uint64_t>(), end = entry.at("data_offsets")[1].get<uint64_t>();
  const uint32_t nan_bits = 0x7fc00000;
  file.seekp(static_cast<std::streamoff>(8 + header_size + begin));
  for (uint64_t offset = begin; offset < end; offset += 4) file.write(reinterpret_cast<const char*>(&nan_bits), 4);
  ASSERT_TRUE(file.good()) << path;
}

// A base model damaged between two sessions of a run (a weight turned NaN): the resumed training
// turns non-finite, stops, and the good checkpoints stay as they were.
TEST_F(HostileRun, ValuesMadeNonFiniteNeverPruneTheGoodCheckpoints) {
  const auto model = dir_->file("nan-model"), run = dir_->file("non-finite"), recipe_path = dir_->file("nan-recipe.yaml");
  fs::remove_all(model);
  fs::remove_all(run);
  fs::copy(dir_->file("model"), model, fs::copy_options::recursive);
  std::ofstream(recipe_path) << std::regex_replace(read_text_file(recipe()), std::regex("path: model\\}"), "path: nan-model}");
  auto result = run_vltune("train " + recipe_path + " --run-dir " + run + " --set train.steps=4");
  ASSERT_EQ(result.status, 0) << result.output;
  poison_tensor(model + "/model.safetensors", "language_model.model.norm.weight");
  const auto good = snapshot(run + "/checkpoints");
  result = run_vltune("train " + recipe_path + " --run-dir " + run + " --resume --override --set train.steps=8 --set output.save_every=1");
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("training stopped"));
  EXPECT_THAT(result.output, HasSubstr("The last good checkpoint, " + run + "/checkpoints/step-00000004, is kept"));
  EXPECT_TRUE(snapshot(run + "/checkpoints") == good) << "a good checkpoint was pruned or replaced";
}

TEST_F(HostileRun, AFailedResumeLeavesTheRunsRecipeAsItWas) {
  const auto run = good_run("failed-resume");
  const auto recipe_before = read_text_file(run + "/recipe.yaml");
  const auto result = run_vltune(resume(run, "--set adapters.rank=8"));
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_EQ(read_text_file(run + "/recipe.yaml"), recipe_before);
}

// Issue 14, defect 2: a run started with --set train.steps=4 and resumed without it must not go
// on as the recipe file's 12-step schedule. The resume is refused, listing the difference, and
// changes nothing; the run's own recipe resumes it; --override accepts the change.
TEST_F(HostileRun, AResumeThatWouldChangeTheRecipeIsRefusedUnlessOverridden) {
  const auto run = good_run("changed-recipe");
  const auto before = snapshot(run);
  auto result = run_vltune("train " + recipe() + " --run-dir " + run + " --resume");
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("train.steps: 4 in the run, 12 now"));
  EXPECT_THAT(result.output, HasSubstr("--override"));
  result = run_vltune("train " + run + " --resume --set train.lr=0.02");
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("train.lr: 1e-2 in the run, 0.02 now (--set train.lr=0.02)"));
  EXPECT_TRUE(snapshot(run) == before) << "a refused resume changed the run folder";

  result = run_vltune("train " + recipe() + " --run-dir " + run + " --resume --set train.steps=4");  // the same recipe
  EXPECT_EQ(result.status, 0) << result.output;
  result = run_vltune("train " + run);
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("pass --resume"));
  result = run_vltune("train " + run + " --resume --override --set train.steps=6");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("trained 6 steps"));
  EXPECT_THAT(read_text_file(run + "/recipe.yaml"), HasSubstr("steps: 6"));
}

// A run stopped after logging steps 3 and 4 but before checkpointing step 4 (its step-4 checkpoint
// removed): `vltune train RUN_DIR --resume` goes on from step 2 with the run's recipe, ends bit for
// bit where the uninterrupted run did, and metrics.jsonl holds each step once.
TEST_F(HostileRun, AResumedRunLogsEachStepOnceAndEndsWhereTheUninterruptedOneDid) {
  const auto run = good_run("stopped-after-logging");
  fs::remove_all(run + "/checkpoints/step-00000004");
  const auto result = run_vltune("train " + run + " --resume");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("(step 2)"));
  EXPECT_EQ(tensors_of(run + "/checkpoints/step-00000004/adapter/adapter_model.safetensors"),
            tensors_of(dir_->file("good-run/checkpoints/step-00000004/adapter/adapter_model.safetensors")));
  std::vector<std::pair<std::string, int64_t>> logged;
  std::istringstream lines(read_text_file(run + "/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line);
    logged.emplace_back(json.at("kind").get<std::string>(), json.at("step").get<int64_t>());
  }
  const std::vector<std::pair<std::string, int64_t>> expected = {{"train", 1}, {"train", 2}, {"train", 3}, {"train", 4}, {"eval", 4}};
  EXPECT_EQ(logged, expected);
}

TEST_F(HostileRun, ExportPeftNeverOverwritesAnAdapter) {
  const auto run = good_run("export");
  const auto own = run + "/checkpoints/step-00000004/adapter";
  const auto before = snapshot(own);
  auto result = run_vltune("export " + run + " --peft " + own);
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("is the folder being exported from"));
  EXPECT_TRUE(snapshot(own) == before);
  fs::create_directories(dir_->file("other-adapter"));
  std::ofstream(dir_->file("other-adapter/adapter_config.json")) << "{}";
  result = run_vltune("export " + run + " --peft " + dir_->file("other-adapter"));
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_EQ(read_text_file(dir_->file("other-adapter/adapter_config.json")), "{}");
  result = run_vltune("export --help");
  EXPECT_THAT(result.output, HasSubstr("nothing is overwritten"));
}

// A run trained on a GPU (model.device: cuda in its recipe) exports on the CPU, where the adapter
// files load: the backbone used to load on the run's device and meet the adapter on another
// ("Expected all tensors to be on the same device", the results base's first export on the H200),
// and a machine without CUDA could not export such a run at all.
TEST_F(HostileRun, ARunTrainedOnTheGpuExportsOnTheCpu) {
  const auto run = good_run("trained-on-cuda");
  std::string recipe = read_text_file(run + "/recipe.yaml");
  const auto model = recipe.find("model: {");  // the resolved recipe is written in flow style
  ASSERT_NE(model, std::string::npos) << recipe;
  recipe.insert(model + std::strlen("model: {"), "device: cuda, ");
  std::ofstream(run + "/recipe.yaml", std::ios::trunc) << recipe;
  const auto result = run_vltune("export " + run + " --merged " + dir_->file("merged-from-cuda"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("merged"));
  EXPECT_TRUE(fs::exists(dir_->file("merged-from-cuda/config.json")));
}

TEST_F(HostileRun, StrayFoldersAmongTheCheckpointsAreNotCheckpoints) {
  const auto run = good_run("stray");
  for (const char* name : {"step-zzzz", "step-99999999999999999999999", "step-00000009.tmp"})
    fs::create_directories(run + "/checkpoints/" + name);
  auto result = run_vltune("export " + run + " --peft " + dir_->file("stray-export"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(tensors_of(dir_->file("stray-export/adapter_model.safetensors")),
            tensors_of(run + "/checkpoints/step-00000004/adapter/adapter_model.safetensors"));
  result = run_vltune(resume(run, ""));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("(step 4)"));
  for (const char* name : {"step-zzzz", "step-00000006"}) EXPECT_TRUE(fs::exists(run + "/checkpoints/" + name)) << name;
  EXPECT_FALSE(fs::exists(run + "/checkpoints/step-00000002"));  // keep_last: 2 pruned the oldest real one
}

// Issue 14, defect 7: `vltune prepare` over a dataset whose every sample is skipped fails.
TEST_F(HostileRun, PrepareThatSkippedEverySampleFails) {
  std::ofstream(dir_->file("all-missing.json"))
      << R"([{"image": "missing-1.png", "conversations": [{"from": "human", "value": "<image> What?"}, {"from": "gpt", "value": "a"}]},
             {"image": "missing-2.png", "conversations": [{"from": "human", "value": "<image> What?"}, {"from": "gpt", "value": "b"}]}])";
  const auto result = run_vltune("prepare --dataset " + dir_->file("all-missing.json") + " --format llava --model " + dir_->file("model") +
                                 " --out " + dir_->file("all-missing-cache"));
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("no media file could be prepared: every one of the 2 bad samples was skipped"));
}

TEST_F(HostileRun, ADatasetWithNoUsableSampleEndsWithTheReason) {
  const auto result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("no-usable") + " --set data.max_length=8");
  EXPECT_NE(result.status, 0) << result.output;
  // The checks before the first step (training/preflight.h) find it; the loader's own bound
  // ("no usable sample remains") is tested in test_hostile_datasets.
  EXPECT_THAT(result.output, HasSubstr("none of the training dataset's 48 samples can be prepared"));
  EXPECT_THAT(result.output, HasSubstr("the last reason: "));
  EXPECT_LE(count_occurrences(result.output, "skipping sample"), 48u);  // each of the 48 samples once at most
  EXPECT_FALSE(std::filesystem::exists(dir_->file("no-usable"))) << "a run that fails its checks leaves no folder";
}

// Issue 14, item 7: a wrong media_root is one line with the count and a few paths (it was a
// warning per sample), and the run that cannot start leaves no folder.
TEST_F(HostileRun, AWrongMediaRootIsOneSummaryLineAndLeavesNoFolder) {
  const auto run = dir_->file("wrong-root-run");
  std::ofstream(dir_->file("wrong-root.yaml")) << "extends: recipe.yaml\ndata:\n  train: {format: llava, path: fm/vqa_train.json, media_root: nowhere}\n";
  const auto result = run_vltune("train " + dir_->file("wrong-root.yaml") + " --run-dir " + run);
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_EQ(count_occurrences(result.output, "skipping 48 samples of "), 1u) << result.output;
  EXPECT_THAT(result.output, HasSubstr("does not exist under " + dir_->file("nowhere")));
  EXPECT_EQ(count_occurrences(result.output, "skipping sample"), 0u) << result.output;
  EXPECT_LE(count_occurrences(result.output, "\n"), 3u) << result.output;
  EXPECT_FALSE(fs::exists(run)) << "a run that fails its checks leaves no folder";
}

TEST_F(HostileRun, RefusedSettingsFailInOneLineBeforeARunFolderExists) {
  for (const std::string sets : {"--set model.device=cuda:99", "--set train.lr=.nan", "--set train.steps=-1"}) {
    const auto run = dir_->file("refused");
    const auto result = run_vltune("train " + recipe() + " --run-dir " + run + " " + sets);
    EXPECT_EQ(result.status, 1) << sets << "\n" << result.output;
    EXPECT_LE(count_occurrences(result.output, "\n"), 3u) << result.output;
    EXPECT_THAT(result.output, HasSubstr(sets.substr(6, sets.find('=') - 6)));
    EXPECT_FALSE(fs::exists(run)) << sets;
  }
}

TEST_F(HostileRun, WronglyTypedDatasetFieldsAreAMessageNotACrash) {
  std::ofstream(dir_->file("typed.json")) << R"([{"id": "a", "conversations": ["hi", {"from": "gpt", "value": "x"}]}])";
  const auto result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("typed") + " --set data.on_bad_sample=error" +
                                 " --set 'data.train={format: llava, path: " + dir_->file("typed.json") + "}'");
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("typed.json[0]: key 'conversations[0]': expected an object"));
}

}  // namespace
