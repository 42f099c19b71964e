// Qwen2.5-VL's data path and training end to end (issue 18), on the tiny fixture folder
// tests/data/hf-tiny-qwen2_5-vl/base (transformers' weights and config, and the tokenizer.json of
// tools/make_synthetic_tokenizers.py) and clips encoded by FFmpeg (`vltune data synthetic-video`):
//   - preparation: <image> / <video> expand to <|vision_start|>, one pad per merged token of the
//     sample's own grid, <|vision_end|>; the patches are the processor's; bad media and
//     placeholders that do not match the media are errors naming the sample and the file;
//   - generation with M-RoPE: each KV-cached greedy token is the argmax of a full forward;
//   - `vltune train` lowers the loss; a run killed after its first checkpoint resumes to the
//     same adapter and metrics; `vltune export --peft` gives an adapter vltune's PEFT reader loads
//     to the checkpoint's logits (and the merged export to the same within float error);
//     `vltune eval` and `vltune generate` run on it; the shipped recipes check on the folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include "adapters/peft_io.h"
#include "core/safetensors.h"
#include "datasets/prepare.h"
#include "multimodal/generate.h"
#include "multimodal/model_loader.h"
#include "run_control.h"
#include "tensor_test_support.h"
#include "test_support.h"
#include "training/batch.h"
#include "training/run_setup.h"
#include "vision/media/media.h"

namespace vltune {
namespace {

namespace fs = std::filesystem;
using test::data_path;
using test::run_vltune;

const std::string kBase = data_path("hf-tiny-qwen2_5-vl/base");
constexpr int64_t kImagePad = 300, kVideoPad = 301, kVisionStart = 302, kVisionEnd = 303;

// The clips, the recipe and a preparer on the fixture, made once for the suite.
class QwenTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!media::available()) GTEST_SKIP() << "built without media support: the clips need FFmpeg";
    if (!dir_) build_inputs();
    ASSERT_TRUE(fs::exists(dir_->file("clips/qa_train.json")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static void build_inputs() {
    dir_ = new test::TempDir();
    const auto result = run_vltune("data synthetic-video --clips 6 --frames 8 --out " + dir_->file("clips"));
    ASSERT_EQ(result.status, 0) << result.output;
    std::ofstream(dir_->file("qwen.yaml")) << "# vltune train qwen.yaml\nmodel: {path: " << kBase << "}\n" << R"(
adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}
data:
  train: {format: llava, path: clips/qa_train.json}
  eval: {format: llava, path: clips/qa_test.json}
  template: auto
  num_frames: 4
  max_length: 256
  workers: 2
train: {steps: 8, batch_size: 2, lr: 2e-2, schedule: constant, seed: 3}
eval: {metrics: [loss], max_samples: 4}
output: {save_every: 2, keep_last: 0, log_every: 1}
)";
  }
  static std::string recipe() { return dir_->file("qwen.yaml"); }
  static std::string clip(int index) { return dir_->file(cat("clips/videos/clip_0000", index, ".mp4")); }

  struct Setup {
    multimodal::LoadedModel loaded;
    datasets::PrepareOptions options;
    std::unique_ptr<datasets::SamplePreparer> preparer;
  };
  // A preparer on the fixture as `vltune train` makes one (chatml, 4 frames per clip).
  static Setup prepare_on_fixture() {
    Setup s{multimodal::load_model(kBase), {}, nullptr};
    s.options.chat_template = "chatml";
    s.options.media.frames.num_frames = 4;
    const training::VisualSettings defaults;
    training::apply_visual_settings(s.loaded, defaults, s.options);
    s.preparer = std::make_unique<datasets::SamplePreparer>(language::Tokenizer::from_model_dir(kBase), s.options);
    return s;
  }
  static datasets::Sample sample(const std::string& question, std::vector<std::string> images, std::string video = "") {
    datasets::Sample out;
    out.id = "qa.json:3";
    out.images = std::move(images);
    out.video = std::move(video);
    out.turns = {{language::Role::kUser, question}, {language::Role::kAssistant, "left"}};
    return out;
  }
  static inline test::TempDir* dir_ = nullptr;
};

// The run of `token` in `ids`, which must be one contiguous run; its length.
int64_t run_length(const std::vector<int64_t>& ids, int64_t token) {
  const auto first = std::find(ids.begin(), ids.end(), token);
  if (first == ids.end()) return 0;
  const auto end = std::find_if(first, ids.end(), [&](int64_t id) { return id != token; });
  EXPECT_EQ(std::find(end, ids.end(), token), ids.end()) << "two runs of " << token;
  EXPECT_EQ(*(first - 1), kVisionStart);
  EXPECT_EQ(*end, kVisionEnd);
  return end - first;
}

TEST_F(QwenTraining, PlaceholdersExpandToEachGridsMergedTokens) {
  auto s = prepare_on_fixture();
  const auto wide = dir_->file("wide.png");
  media::encode_image(wide, media::Image{140, 84, std::vector<uint8_t>(140 * 84 * 3, 90)});  // 140 x 84 px
  datasets::BadSamples bad(datasets::OnBadSample::kError);
  const auto image = s.preparer->prepare(sample("<image>\nWhat is it?", {wide}), bad);
  ASSERT_TRUE(image);
  // 84 x 140 px -> 84 x 140 (multiples of 28) -> a 6 x 10 patch grid, 60 patches, 15 merged tokens.
  EXPECT_TRUE(torch::equal(image->image_grid_thw, torch::tensor({1, 6, 10}, torch::kInt64).view({1, 3})));
  EXPECT_EQ(image->pixels.sizes(), (std::vector<int64_t>{60, 3 * 2 * 14 * 14}));
  EXPECT_EQ(run_length(image->input_ids, kImagePad), 15);

  const auto video = s.preparer->prepare(sample("<video>\nWhich way?", {}, clip(0)), bad);
  ASSERT_TRUE(video);
  // 4 frames of 64 x 64 px -> 56 x 56: grid (2, 4, 4), 32 patches, 8 merged tokens.
  EXPECT_TRUE(torch::equal(video->video_grid_thw, torch::tensor({2, 4, 4}, torch::kInt64).view({1, 3})));
  EXPECT_EQ(video->pixel_values_videos.size(0), 32);
  EXPECT_EQ(run_length(video->input_ids, kVideoPad), 8);
  EXPECT_EQ(std::count(video->input_ids.begin(), video->input_ids.end(), kImagePad), 0);
  EXPECT_GT(video->second_per_grid_ts.item<double>(), 0);
  // The patches are the processor's own for those frames.
  media::FrameSampling four;
  four.num_frames = 4;
  const auto frames = media::decode_video(clip(0), four).frames;
  const auto expected = vision::qwen_preprocess(frames, *s.options.media.patches, clip(0));
  EXPECT_TRUE(torch::equal(video->pixel_values_videos, expected.pixel_values));
}

// The model's inputs for one prepared sample (a batch of one).
multimodal::ForwardInputs forward_inputs(const datasets::PreparedSample& p) {
  multimodal::ForwardInputs in;
  in.input_ids = torch::tensor(p.input_ids, torch::kInt64).unsqueeze(0);
  in.pixel_values = p.pixels;
  in.image_grid_thw = p.image_grid_thw;
  in.pixel_values_videos = p.pixel_values_videos;
  in.video_grid_thw = p.video_grid_thw;
  in.second_per_grid_ts = p.second_per_grid_ts;
  return in;
}

TEST_F(QwenTraining, PlaceholdersThatDoNotMatchTheMediaAreErrors) {
  auto s = prepare_on_fixture();
  const auto image = data_path("hf-tiny-qwen2_5-vl/media/image.png");
  datasets::BadSamples bad(datasets::OnBadSample::kSkip);
  test::expect_error([&] { s.preparer->prepare(sample("<image> and <image>?", {image}), bad); },
                     {"qa.json:3", "more <image> placeholders than the sample has images (1)"});
  test::expect_error([&] { s.preparer->prepare(sample("What is it?", {image}), bad); },
                     {"qa.json:3", "the sample has 1 image but its text holds 0 <image> placeholders"});
  test::expect_error([&] { s.preparer->prepare(sample("<video> What happens?", {}), bad); },
                     {"qa.json:3", "more <video> placeholders than the sample has videos (0)"});
  test::expect_error([&] { s.preparer->prepare_prompt(sample("<image><image>", {image})); },
                     {"qa.json:3", "more <image> placeholders"});
}

TEST_F(QwenTraining, BadMediaIsReportedNamingTheSampleAndTheFile) {
  auto s = prepare_on_fixture();
  const auto small = dir_->file("small.png"), strip = dir_->file("strip.png"), hollow = dir_->file("hollow.mp4");
  media::encode_image(small, media::Image{27, 40, std::vector<uint8_t>(27 * 40 * 3, 200)});      // 27 px wide
  media::encode_image(strip, media::Image{28 * 201, 28, std::vector<uint8_t>(28 * 201 * 28 * 3, 7)});  // 201:1
  // An MP4 whose index lists frames but whose data is gone: zero decodable frames.
  ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i testsrc=size=64x48:rate=10 -t 1 -c:v libx264 -movflags +faststart " + hollow));
  const auto bytes = test::read_text_file(hollow);
  ASSERT_THAT(bytes, HasSubstr("mdat"));
  fs::resize_file(hollow, bytes.find("mdat") + 4);

  datasets::BadSamples skip(datasets::OnBadSample::kSkip);
  EXPECT_FALSE(s.preparer->prepare(sample("<image> What?", {small}), skip));
  EXPECT_FALSE(s.preparer->prepare(sample("<image> What?", {strip}), skip));
  EXPECT_FALSE(s.preparer->prepare(sample("<video> What?", {}, hollow), skip));
  const auto messages = skip.messages();
  ASSERT_EQ(messages.size(), 3u);
  for (const auto& [message, fragment, file] :
       {std::tuple{messages[0], "both sides must be at least 28 px", small},
        std::tuple{messages[1], "aspect ratio above 200", strip}, std::tuple{messages[2], "no decodable frames", hollow}}) {
    EXPECT_THAT(message, HasSubstr("qa.json:3"));
    EXPECT_THAT(message, HasSubstr(file));
    EXPECT_THAT(message, HasSubstr(fragment));
  }
  datasets::BadSamples stop(datasets::OnBadSample::kError);
  test::expect_error([&] { s.preparer->prepare(sample("<image> What?", {small}), stop); },
                     {"qa.json:3", "small.png", "at least 28 px", "on_bad_sample: error"});
}

// Generation with M-RoPE: the prefill takes the family's position ids and each cached step sits at
// the prompt's largest position + 1 + its index, so every greedy token is the argmax of one full
// forward over the prompt and the tokens so far (whose position ids get_rope_index computes anew).
TEST_F(QwenTraining, CachedGreedyGenerationEqualsFullForwards) {
  auto s = prepare_on_fixture();
  auto& model = *s.loaded.model;
  model.eval();
  torch::NoGradGuard no_grad;
  language::GenerationOptions options;
  options.max_new_tokens = 6;
  for (const auto& one : {sample("<video>\nWhich way does it move?", {}, clip(1)),
                          sample("<image>\nWhat is it?", {data_path("hf-tiny-qwen2_5-vl/media/image.png")})}) {
    auto prompt = s.preparer->prepare_prompt(one);
    const auto answer = multimodal::generate(model, prompt, options, {});
    ASSERT_EQ(answer.size(), 6u);
    for (int64_t token : answer) {
      const auto logits = model.forward(forward_inputs(prompt)).logits[0][-1];
      EXPECT_GE(logits[token].item<double>(), logits.max().item<double>() - 1e-5) << "token " << token;
      prompt.input_ids.push_back(token);
    }
  }
}

// The train losses of a run's metrics.jsonl by step (a step logged twice, before a kill and after
// the resume, keeps its last value).
std::map<int64_t, double> train_losses(const std::string& run_dir) {
  std::map<int64_t, double> losses;
  std::ifstream in(run_dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto record = nlohmann::json::parse(line);
    if (record.value("kind", "") == "train") losses[record.at("step").get<int64_t>()] = record.at("loss").get<double>();
  }
  return losses;
}

// The logits of the fixture model on a prepared clip question, with the PEFT adapter at `adapter`
// (none when empty) or from the model folder `model_dir`.
torch::Tensor logits_with(const std::string& model_dir, const std::string& adapter, const multimodal::ForwardInputs& in) {
  auto loaded = multimodal::load_model(model_dir);
  loaded.model->eval();
  std::optional<adapters::AttachedSet> attached;
  if (!adapter.empty()) attached.emplace(adapters::load_peft_adapter(adapter, *loaded.model, loaded.config.multimodal()));
  torch::NoGradGuard no_grad;
  return loaded.model->forward(in).logits;
}

TEST_F(QwenTraining, TrainsResumesExactlyAndExportsAPeftAdapter) {
  const auto straight = dir_->file("straight"), killed = dir_->file("killed");
  auto result = run_vltune("train " + recipe() + " --run-dir " + straight);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("trained 8 steps"));
  const auto losses = train_losses(straight);
  ASSERT_EQ(losses.size(), 8u);
  EXPECT_LT(losses.at(7) + losses.at(8), losses.at(1) + losses.at(2)) << "the loss did not fall";

  // Killed after its first checkpoint, resumed: the same adapter and the same losses at every step.
  ASSERT_TRUE(test::train_and_kill(recipe(), killed)) << "the run finished before it could be killed";
  ASSERT_FALSE(fs::exists(killed + "/checkpoints/step-00000008"));
  result = run_vltune("train " + recipe() + " --run-dir " + killed + " --resume");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto expected = test::adapter_tensors(straight, "step-00000008");
  const auto resumed = test::adapter_tensors(killed, "step-00000008");
  ASSERT_EQ(expected.size(), resumed.size());
  ASSERT_GT(expected.size(), 0u);
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(resumed.count(name)) << name;
    EXPECT_TRUE(torch::equal(tensor, resumed.at(name))) << name << " differs after the resume";
  }
  EXPECT_EQ(train_losses(killed), losses);

  // The PEFT export loads (vltune's PEFT reader) to the checkpoint adapter's logits, which differ
  // from the base's; the merged export gives them within float error.
  result = run_vltune("export " + straight + " --peft " + dir_->file("peft"));
  ASSERT_EQ(result.status, 0) << result.output;
  result = run_vltune("export " + straight + " --merged " + dir_->file("merged"));
  ASSERT_EQ(result.status, 0) << result.output;
  auto s = prepare_on_fixture();
  const auto in = forward_inputs(s.preparer->prepare_prompt(sample("<video>\nWhich way?", {}, clip(2))));
  const auto trained = logits_with(kBase, straight + "/checkpoints/step-00000008/adapter", in);
  const auto exported = logits_with(kBase, dir_->file("peft"), in);
  EXPECT_TRUE(torch::equal(trained, exported));
  EXPECT_GT(test::max_abs_diff(trained, logits_with(kBase, "", in)), 1e-3) << "the adapter changed nothing";
  EXPECT_TENSORS_NEAR(trained, logits_with(dir_->file("merged"), "", in), 1e-4);

  result = run_vltune("eval " + straight);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("\"loss\""));
  result = run_vltune("generate --model " + kBase + " --adapter " + dir_->file("peft") + " --video " + clip(3) +
                      " --prompt 'Which way?' --template chatml --num-frames 4 --max-new-tokens 3 --show-ids");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("ids:"));
}

// The media cache in the patch layout: `vltune prepare` caches each image and clip resized at its own
// size; a run from the cache trains to the same adapter, byte for byte, as one decoding live; and a
// changed processor setting (max_pixels, min_pixels) or frame sampling refuses the cache.
TEST_F(QwenTraining, MediaCacheGivesTheSameRunAndChangedSettingsRefuseIt) {
  const auto cache = dir_->file("qwen-cache");
  const auto prepared = run_vltune("prepare " + recipe() + " --out " + cache);
  ASSERT_EQ(prepared.status, 0) << prepared.output;
  const std::string two_steps = " --set train.steps=2 --set output.save_every=0";
  auto result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("live") + two_steps);
  ASSERT_EQ(result.status, 0) << result.output;
  result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("cached") + two_steps + " --set data.cache=" + cache);
  ASSERT_EQ(result.status, 0) << result.output;
  const std::string adapter = "/checkpoints/step-00000002/adapter/adapter_model.safetensors";
  EXPECT_EQ(test::read_text_file(dir_->file("live") + adapter), test::read_text_file(dir_->file("cached") + adapter));
  for (const char* changed : {" --set data.max_pixels=4000", " --set data.min_pixels=1000", " --set data.num_frames=2"}) {
    result = run_vltune("train " + recipe() + " --run-dir " + dir_->file("refused") + two_steps + " --set data.cache=" + cache + changed);
    EXPECT_EQ(result.status, 1) << changed << "\n" << result.output;
    EXPECT_THAT(result.output, HasSubstr("prepare it again")) << changed << "\n" << result.output;
  }
}

// The shipped Qwen2.5-VL recipes pass every check before a first step (`recipe check`) on a
// Qwen2.5-VL folder, on the CPU, with their built-in datasets made small.
TEST(QwenRecipes, ShippedRecipesCheckOnAQwenFolder) {
  if (!media::available()) GTEST_SKIP() << "built without media support";
  test::TempDir data;
  auto made = run_vltune("data fashion-mnist --out " + data.file("fm") + " --limit 20");
  ASSERT_EQ(made.status, 0) << made.output;
  made = run_vltune("data synthetic-video --out " + data.file("sv") + " --clips 5 --frames 8");
  ASSERT_EQ(made.status, 0) << made.output;
  const std::map<std::string, std::string> datasets = {
      {"image-vqa.yaml", " --set data.train.path=" + data.file("fm/vqa_train.json") + " --set data.eval.path=" + data.file("fm/vqa_test.json")},
      {"video-qa.yaml", " --set data.train.path=" + data.file("sv/qa_train.json") + " --set data.eval.path=" + data.file("sv/qa_test.json")}};
  const auto root = fs::path(VLTUNE_TEST_DATA) / "../../recipes/qwen2_5-vl";
  int checked = 0;
  for (const char* name : {"image-vqa.yaml", "video-qa.yaml"}) {
    const auto path = (root / name).string();
    const auto opening = test::read_text_file(path).substr(0, 200);
    EXPECT_EQ(opening.rfind("# vltune ", 0), 0u) << path << " does not open with its command";
    EXPECT_THAT(test::read_text_file(path), HasSubstr("Qwen/Qwen2.5-VL-3B-Instruct")) << path;
    const auto result = run_vltune("recipe check " + path + " --set model.path=" + kBase + " --set model.device=cpu" + datasets.at(name));
    EXPECT_EQ(result.status, 0) << path << "\n" << result.output;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

// `vltune compare` on a Qwen2.5-VL folder: the shipped granularity comparison (DoRA on attention,
// dora_half, magnitude only) on Fashion-MNIST images, made small. Every number of the report is
// the run's own: its metrics those of its summary.json, its loss curve the train losses of its
// metrics.jsonl, its trainable parameters the elements of its saved adapter.
TEST(QwenCompare, GranularitiesOnAQwenFolderReportTheRunsOwnNumbers) {
  if (!media::available()) GTEST_SKIP() << "built without media support";
  test::TempDir dir;
  const auto made = run_vltune("data fashion-mnist --out " + dir.file("fm") + " --limit 12");
  ASSERT_EQ(made.status, 0) << made.output;
  const auto file = (fs::path(VLTUNE_TEST_DATA) / "../../recipes/qwen2_5-vl/image-vqa-granularity.yaml").string();
  EXPECT_EQ(test::read_text_file(file).rfind("# vltune ", 0), 0u) << file << " does not open with its command";
  const auto out = dir.file("compare");
  const auto result = run_vltune(
      "compare " + file + " --out " + out + " --set model.path=" + kBase + " --set model.device=cpu --set model.dtype=float32" +
      " --set train.precision=fp32 --set train.gradient_checkpointing=false --set data.workers=1 --set train.steps=2" +
      " --set train.batch_size=2 --set train.grad_accum=1 --set train.warmup_steps=0 --set train.lr=5e-2" +
      " --set output.log_every=1 --set eval.max_samples=3 --set eval.max_new_tokens=2" +
      " --set data.train.path=" + dir.file("fm/vqa_train.json") + " --set data.eval.path=" + dir.file("fm/vqa_test.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto json = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  ASSERT_EQ(json.at("runs").size(), 6u);  // 3 variants x 2 seeds
  std::map<std::string, int64_t> params;
  for (const auto& run : json["runs"]) {
    const auto run_dir = fs::path(out) / run.at("run_dir").get<std::string>();
    const auto summary = nlohmann::json::parse(std::ifstream(run_dir / "summary.json"));
    for (const char* metric : {"exact_match", "loss"})
      EXPECT_EQ(run["metrics"].at(metric).get<double>(), summary.at("final_metrics").at(metric).get<double>()) << run_dir;
    std::vector<std::pair<int64_t, double>> losses;
    std::ifstream lines(run_dir / "metrics.jsonl");
    for (std::string line; std::getline(lines, line);) {
      const auto row = nlohmann::json::parse(line);
      if (row.at("kind") == "train") losses.emplace_back(row["step"].get<int64_t>(), row["loss"].get<double>());
    }
    using Curve = std::vector<std::pair<int64_t, double>>;
    EXPECT_EQ(run.at("loss_curve").get<Curve>(), losses) << run_dir;
    const auto adapter = safetensors::File::open((run_dir / "checkpoints/step-00000002/adapter/adapter_model.safetensors").string());
    int64_t elements = 0;
    for (const auto& info : adapter->tensors()) elements += adapter->tensor(info.name).numel();
    EXPECT_EQ(run.at("trainable_params").get<int64_t>(), elements) << run_dir;
    params[run.at("variant").get<std::string>()] = elements;
  }
  // Magnitude only is the cheapest granularity, DoRA on q, k, v, o the dearest of the three.
  EXPECT_LT(params.at("magnitude_only"), params.at("dora_half"));
  EXPECT_LT(params.at("dora_half"), params.at("attention_only"));
  const auto report = test::read_text_file(out + "/report.md");
  for (const char* variant : {"| attention_only", "| dora_half", "| magnitude_only"})
    EXPECT_THAT(report, HasSubstr(variant)) << variant << "\n" << report;
}

}  // namespace
}  // namespace vltune
