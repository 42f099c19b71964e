// Model parity against golden outputs from transformers (tests/data/*/expected.safetensors, made
// by tests/data/make_fixtures.py and ../shared/fixtures), plus the key layouts and loading errors.
// VLTUNE_TEST_DEVICE=cuda runs the same checks on the GPU at 1e-3.
#include <fstream>

#include "core/atomic_file.h"
#include "core/safetensors.h"
#include "language/rope.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using multimodal::ForwardInputs;
using multimodal::load_model;
using test::data_path;
using test::expect_error;
using test::replace_prefix;
using test::rewrite_checkpoint;
using test::TempDir;

struct Fixture {
  std::string base;
  std::shared_ptr<safetensors::File> inputs, expected;
  explicit Fixture(const std::string& name)
      : base(data_path(name + "/base")),
        inputs(safetensors::File::open(data_path(name + "/inputs.safetensors"))),
        expected(safetensors::File::open(data_path(name + "/expected.safetensors"))) {}

  ForwardInputs forward_inputs(torch::Device device) const { return test::fixture_inputs(*inputs, device); }
};

double tolerance() { return test::test_device().is_cpu() ? 1e-4 : 1e-3; }
double loss_tolerance() { return test::test_device().is_cpu() ? 1e-5 : 1e-3; }

multimodal::ForwardOutput run(const Fixture& f, const std::string& model_dir, multimodal::LoadOptions options = {}) {
  options.device = test::test_device();
  auto loaded = load_model(model_dir, options);
  torch::NoGradGuard no_grad;
  return loaded.model->forward(f.forward_inputs(options.device));
}

void expect_base_parity(const std::string& fixture_name) {
  const Fixture f(fixture_name);
  const auto out = run(f, f.base);
  EXPECT_TENSORS_NEAR(out.logits, f.expected->tensor("base_logits"), tolerance());
  const double loss = out.loss.item<double>(), expected_loss = f.expected->tensor("base_loss").item<double>();
  EXPECT_NEAR(loss, expected_loss, loss_tolerance() * std::abs(expected_loss));
  if (f.expected->find("image_features")) {
    ASSERT_TRUE(out.image_features.defined());
    EXPECT_TENSORS_NEAR(out.image_features, f.expected->tensor("image_features"), tolerance());
  }
}

TEST(Parity, LlavaClipLlama) { expect_base_parity("hf-tiny-llava-clip-llama"); }

// SigLIP tower (no CLS, gelu-tanh, feature layer -1, strategy full), no projector bias, Qwen2
// decoder with q/k/v bias and tied embeddings.
TEST(Parity, LlavaSiglipQwen2) { expect_base_parity("hf-tiny-llava-siglip-qwen2"); }

// Mistral with a sliding window of 8 over 38 tokens.
TEST(Parity, LlavaClipMistralSlidingWindow) { expect_base_parity("hf-tiny-llava-clip-mistral"); }

// Bare LLaMA checkpoint (model.*, lm_head.*) with Llama-3 rope scaling and a left-padded row.
// transformers numbers positions 0..L-1, and its eager attention gives the padded query rows, which
// may attend no key, the uniform average over all keys; the loss includes the last such row
// (it predicts the first real token), so those rows are compared too.
TEST(Parity, Llama3TextLeftPadded) {
  const Fixture f("hf-tiny-llama3-text");
  expect_base_parity("hf-tiny-llama3-text");
  const auto config = multimodal::read_model_config(f.base);
  EXPECT_EQ(config.text.rope.type, "llama3");
  EXPECT_TENSORS_NEAR(language::rope_inv_freq(config.text.rope, config.text.head_dim), f.expected->tensor("rope_inv_freq"),
                      1e-6 * test::max_abs(f.expected->tensor("rope_inv_freq")));
}

// The towers' pooled embeddings: CLIP's post-LN CLS token, SigLIP's attention-pooling head.
TEST(Parity, VisionPooledOutput) {
  for (const char* name : {"hf-tiny-llava-clip-mistral", "hf-tiny-llava-siglip-qwen2"}) {
    SCOPED_TRACE(name);
    const Fixture f(name);
    multimodal::LoadOptions options;
    options.device = test::test_device();
    auto loaded = load_model(f.base, options);
    torch::NoGradGuard no_grad;
    const auto pooled = loaded.model->vision_tower->pooled(f.inputs->tensor("pixel_values").to(test::test_device()));
    EXPECT_TENSORS_NEAR(pooled, f.expected->tensor("vision_pooled"), tolerance());
  }
}

// The llava-hf Hub layout (vision_tower.vision_model.*) stored as bf16: loads into an fp32 model
// (exact upcast) and into a bf16 model; both agree with the fp32 reference to bf16's precision.
TEST(Layouts, HubLayoutInBf16) {
  const Fixture f("hf-tiny-llava-clip-llama");
  TempDir dir;
  rewrite_checkpoint(f.base, dir.path().string(),
                     [](const std::string& n) { return replace_prefix(n, "vision_tower.", "vision_tower.vision_model."); },
                     torch::kBFloat16, 1);
  const auto expected = f.expected->tensor("base_logits");
  const double scale = test::max_abs(expected);

  auto loaded = load_model(dir.path().string());
  EXPECT_EQ(loaded.layout.name, "llava-hf hub");
  EXPECT_EQ(loaded.report.converted, loaded.report.tensors);
  torch::NoGradGuard no_grad;
  const auto fp32 = loaded.model->forward(f.forward_inputs(torch::kCPU));
  // Weights rounded to bf16 (relative error <= 2^-9) move the logits by a few bf16 ulps at most.
  EXPECT_TENSORS_NEAR(fp32.logits, expected, 4 * std::pow(2.0, -8) * scale);

  multimodal::LoadOptions bf16;
  bf16.dtype = torch::kBFloat16;
  const auto low = run(f, dir.path().string(), bf16);
  EXPECT_EQ(low.logits.scalar_type(), torch::kBFloat16);
  EXPECT_TENSORS_NEAR(low.logits, expected, 8 * std::pow(2.0, -8) * scale);
}

// model.language_model.* / model.vision_tower.* / lm_head.*, split over three shards.
TEST(Layouts, NestedModelLayoutSharded) {
  const Fixture f("hf-tiny-llava-clip-llama");
  TempDir dir;
  rewrite_checkpoint(f.base, dir.path().string(),
                     [](const std::string& n) {
                       if (n.rfind("language_model.lm_head.", 0) == 0) return replace_prefix(n, "language_model.", "");
                       if (n.rfind("language_model.model.", 0) == 0)
                         return replace_prefix(n, "language_model.model.", "model.language_model.");
                       return "model." + n;
                     },
                     torch::kFloat32, 3);
  auto loaded = load_model(dir.path().string());
  EXPECT_EQ(loaded.layout.name, "model.*-nested");
  torch::NoGradGuard no_grad;
  const auto out = loaded.model->forward(f.forward_inputs(torch::kCPU));
  EXPECT_TENSORS_NEAR(out.logits, f.expected->tensor("base_logits"), 1e-4);
}

// Without lm_head in the checkpoint the output projection is tied to the embeddings.
TEST(Layouts, MissingLmHeadTiesEmbeddings) {
  const Fixture f("hf-tiny-llava-clip-llama");
  TempDir dir;
  rewrite_checkpoint(f.base, dir.path().string(), [](const std::string& n) { return n; }, torch::kFloat32, 1);
  const auto file = safetensors::File::open(dir.file("model.safetensors"));
  std::vector<std::pair<std::string, torch::Tensor>> kept;
  for (const auto& info : file->tensors())
    if (info.name != "language_model.lm_head.weight") kept.emplace_back(info.name, file->tensor(info.name).clone());
  safetensors::write_file(dir.file("model.safetensors"), kept);
  auto loaded = load_model(dir.path().string());
  EXPECT_TRUE(loaded.model->tied_embeddings());
  torch::NoGradGuard no_grad;
  auto hidden = torch::randn({1, 2, 64});
  EXPECT_TRUE(torch::allclose(loaded.model->lm_logits(hidden),
                              torch::matmul(hidden, loaded.model->language_model->embed_tokens->weight.t())));
}

TEST(Loading, StrictErrorsNameEveryTensor) {
  const Fixture f("hf-tiny-llava-clip-llama");
  TempDir dir;
  rewrite_checkpoint(f.base, dir.path().string(),
                     [](const std::string& n) {
                       if (n == "multi_modal_projector.linear_1.bias") return std::string("multi_modal_projector.extra.bias");
                       return n;
                     },
                     torch::kFloat32, 1);
  expect_error([&] { load_model(dir.path().string()); },
               {"unexpected tensor 'multi_modal_projector.extra.bias'",
                "missing tensor for 'multi_modal_projector.linear_1.bias'", "transformers 5 key layout"});
}

TEST(Loading, ConfigErrorsNameTheKey) {
  TempDir dir;
  write_file_atomically(dir.file("config.json"), R"({"model_type":"gpt2"})");
  expect_error([&] { load_model(dir.path().string()); }, {"config.json", "'model_type'", "'gpt2' is not supported", "qwen2"});
  write_file_atomically(dir.file("config.json"),
                        R"({"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,
                            "num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":{"rope_type":"yarn","factor":2}})");
  expect_error([&] { load_model(dir.path().string()); }, {"'rope_scaling.rope_type'", "'yarn' is not supported"});
  expect_error([&] { load_model(dir.file("nowhere")); }, {"nowhere", "no config.json"});
}

TEST(Loading, TopLevelRopeThetaIsRead) {
  const auto doc = nlohmann::json::parse(R"({"model_type":"llama","vocab_size":10,"hidden_size":8,
      "intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_theta":500000.0})");
  const auto config = language::parse_decoder_config(JsonView(doc, "config.json"));
  EXPECT_EQ(config.rope.theta, 500000.0);
  EXPECT_EQ(config.rope.type, "default");
}

TEST(Forward, ImageTokenCountMustMatchTheImages) {
  const Fixture f("hf-tiny-llava-clip-llama");
  auto loaded = load_model(f.base);
  auto inputs = f.forward_inputs(torch::kCPU);
  inputs.pixel_values = inputs.pixel_values.narrow(0, 0, 1);
  torch::NoGradGuard no_grad;
  expect_error([&] { loaded.model->forward(inputs); }, {"50 image tokens (id 299)", "25 visual tokens (1 images x 25)"});
}

// A clip: every frame through the tower and projector, 2x2 spatial pooling, then frames
// concatenated or averaged. The SigLIP fixture keeps all 25 patches (5x5 grid, so spatial 5).
TEST(Video, FramesBecomePooledVisualTokens) {
  const Fixture f("hf-tiny-llava-siglip-qwen2");
  auto loaded = load_model(f.base);
  torch::NoGradGuard no_grad;
  const auto frames = torch::randn({3, 3, 30, 30});
  const auto per_frame = loaded.model->image_features(frames);  // [3, 25, 64]
  multimodal::VideoPooling concat{5, "concat"}, mean{5, "mean"}, none{1, "concat"};
  EXPECT_EQ(loaded.model->tokens_per_video(3, concat), 3);
  EXPECT_EQ(loaded.model->tokens_per_video(3, mean), 1);
  EXPECT_EQ(loaded.model->tokens_per_video(3, none), 75);
  EXPECT_TENSORS_NEAR(loaded.model->video_features(frames, concat), per_frame.mean(1), 1e-6);
  EXPECT_TENSORS_NEAR(loaded.model->video_features(frames, mean), per_frame.mean(1).mean(0, true), 1e-6);
  EXPECT_TENSORS_NEAR(loaded.model->video_features(frames, none), per_frame.reshape({75, 64}), 1e-6);
  expect_error([&] { loaded.model->tokens_per_video(3, {2, "concat"}); }, {"spatial_pool 2 must divide the 5x5 patch grid"});
  expect_error([&] { loaded.model->tokens_per_video(3, {1, "max"}); }, {"concat or mean"});
}

}  // namespace
}  // namespace vltune
