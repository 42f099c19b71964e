// Qwen2-VL against transformers 5.17 + PEFT 0.21 (tests/data/hf-tiny-qwen2-vl, made by
// tests/data/make_qwen_fixtures.py): the LayerNorm + quick-GELU tower with full attention, a
// GQA decoder with a tied lm_head, and a batch whose row 0 holds two images of different sizes
// and whose left-padded row 1 holds a video. The processor's resize (two PNGs that need
// smart_resize), the Hub key layout, M-RoPE position ids (Qwen2-VL's video time ids step by one,
// whatever second_per_grid_ts says), the tower, base logits and loss, DoRA on all seven decoder
// linears (logits, loss, every gradient, merged logits). VLTUNE_TEST_DEVICE=cuda: the same at 1e-3.
#include <filesystem>

#include "adapters/adapter_set.h"
#include "adapters/peft_io.h"
#include "multimodal/model_loader.h"
#include "multimodal/qwen2_vl.h"
#include "qwen_fixture.h"
#include "tensor_test_support.h"
#include "vision/qwen_image_processor.h"

namespace vltune {
namespace {

using test::data_path;
using test::expect_close;
using test::expect_loss;

const std::string kFixture = "hf-tiny-qwen2-vl";

struct Fixture : test::QwenFixture {
  Fixture() : QwenFixture(kFixture) {}
};

// The fixture comes from a GPU-machine run of make_qwen_fixtures.py; until it is committed the
// suite says so and skips, rather than failing on a missing file.
class Qwen2VL : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(data_path(kFixture + "/expected.safetensors")))
      GTEST_SKIP() << "tests/data/" << kFixture << " is not there yet: run tests/data/make_qwen_fixtures.py";
  }
};

std::vector<vision::PatchGrid> grids(const Fixture& f, const char* key) {
  return multimodal::patch_grids(f.inputs->tensor(key), key);
}

// --- the processor ----------------------------------------------------------------------------

// Both PNGs need smart_resize under the fixture's preprocessor_config.json (min_pixels 3136,
// max_pixels 6272): 61x100 rounds to 56x112, 200x300 is capped to 56x84. Returns vltune's
// pixel_values, one image after the other, and checks the grids against transformers'.
torch::Tensor resized_png_pixels(const Fixture& f) {
  const auto config = multimodal::read_model_config(f.base);
  const auto processor = vision::qwen_processor_config(f.base, *config.qwen_vision);
  EXPECT_EQ(processor.min_pixels, 56 * 56);
  EXPECT_EQ(processor.max_pixels, 28 * 28 * 8);
  std::vector<torch::Tensor> pixels;
  const auto want_grids = grids(f, "image_grid_thw");
  EXPECT_EQ(want_grids.size(), 2u);
  const char* names[] = {"wide", "large"};
  for (std::size_t i = 0; i < 2 && i < want_grids.size(); ++i) {
    const auto image = media::decode_image(data_path(cat(f.name, "/media/", names[i], ".png")));
    const auto out = vision::qwen_preprocess({image}, processor, names[i]);
    EXPECT_EQ(out.grid.t, want_grids[i].t) << names[i];
    EXPECT_EQ(out.grid.h, want_grids[i].h) << names[i];
    EXPECT_EQ(out.grid.w, want_grids[i].w) << names[i];
    pixels.push_back(out.pixel_values);
  }
  return torch::cat(pixels);
}

TEST_F(Qwen2VL, ProcessorGridsOfResizedPngs) {
  if (!media::available()) GTEST_SKIP() << "built without media support";
  const Fixture f;
  EXPECT_EQ(resized_png_pixels(f).sizes(), f.inputs->tensor("pixel_values").sizes());
}

// transformers' torchvision processor resizes the uint8 image in LibTorch's fixed-point uint8 path
// and folds 1/255 into mean and std; vision/resample.h and normalize_pixels do the same, so the
// values are equal (0 apart on 2026-12-02; LibTorch's float resize, used before, was 0.228 apart).
// One level of a uint8 pixel moves a value by over 0.014, so 1e-5 means a bit-exact resize.
TEST_F(Qwen2VL, ProcessorPixelValuesOfResizedPngs) {
  if (!media::available()) GTEST_SKIP() << "built without media support";
  const Fixture f;
  const auto got = resized_png_pixels(f);
  ASSERT_EQ(got.sizes(), f.inputs->tensor("pixel_values").sizes());
  EXPECT_TENSORS_NEAR(got, f.inputs->tensor("pixel_values"), 1e-5);
}

// --- the model --------------------------------------------------------------------------------

TEST_F(Qwen2VL, LoadsTheHubLayoutStrictly) {
  const Fixture f;
  const auto loaded = f.load();
  EXPECT_EQ(loaded.layout.name, "qwen2-vl hub");
  const auto& c = loaded.config;
  ASSERT_TRUE(c.qwen_vision.has_value());
  EXPECT_EQ(c.qwen_vision->arch.model_type, "qwen2_vl");
  EXPECT_FALSE(c.qwen_vision->arch.windows);
  EXPECT_EQ(c.qwen_vision->hidden_size, 32);
  EXPECT_EQ(c.qwen_vision->intermediate_size, 64);  // embed_dim x mlp_ratio 2
  EXPECT_EQ(c.qwen_vision->out_hidden_size, 64);
  EXPECT_EQ(c.text.num_kv_heads, 2);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(loaded.model->tied_embeddings());
}

// Qwen2-VL's video time ids step by one per temporal patch: second_per_grid_ts (Qwen2.5-VL's) changes nothing.
TEST_F(Qwen2VL, PositionIdsEqualTransformers) {
  const Fixture f;
  const auto loaded = f.load();
  const auto in = f.forward_inputs(torch::kCPU);
  auto positions = [&](const torch::Tensor& seconds) {
    return multimodal::qwen2_vl_position_ids(loaded.config, in.input_ids, in.attention_mask,
                                             grids(f, "image_grid_thw"), grids(f, "video_grid_thw"), seconds);
  };
  EXPECT_TRUE(torch::equal(positions({}), f.want("position_ids")));
  EXPECT_TRUE(torch::equal(positions(torch::tensor({4.0})), f.want("position_ids")));
}

TEST_F(Qwen2VL, VisionTowerEqualsTransformers) {
  const Fixture f;
  auto loaded = f.load();
  const auto device = test::test_device();
  torch::NoGradGuard no_grad;
  const auto images = loaded.model->visual(f.inputs->tensor("pixel_values").to(device), grids(f, "image_grid_thw"));
  expect_close(images.merged, f.want("image_pooler_output"), "image merger output");
  expect_close(images.last_hidden_state, f.want("image_last_hidden_state"), "image last hidden state");
  const auto video = loaded.model->visual(f.inputs->tensor("pixel_values_videos").to(device), grids(f, "video_grid_thw"));
  expect_close(video.merged, f.want("video_pooler_output"), "video merger output");
}

TEST_F(Qwen2VL, BaseLogitsAndLossEqualTransformers) {
  const Fixture f;
  auto loaded = f.load();
  torch::NoGradGuard no_grad;
  const auto out = loaded.model->forward(f.forward_inputs(test::test_device()));
  expect_close(out.logits, f.want("base_logits"), "logits");
  expect_loss(out.loss, "base_loss", f);
  expect_close(out.image_features, f.want("image_pooler_output"), "image features");
  EXPECT_TRUE(torch::equal(out.position_ids.cpu(), f.want("position_ids")));
}

// DoRA (r 4, alpha 8) on q/k/v/o/gate/up/down of both layers, from the fixture's PEFT adapter.
TEST_F(Qwen2VL, DoraOnEveryDecoderLinearEqualsPeft) {
  const Fixture f;
  auto loaded = f.load();
  auto set = adapters::load_peft_adapter(data_path(f.name + "/adapter"), *loaded.model, loaded.config.multimodal());
  const auto device = test::test_device();
  set->attach();
  set->train(true);
  auto out = loaded.model->forward(f.forward_inputs(device));
  expect_close(out.logits, f.want("adapted_logits"), "adapted logits");
  expect_loss(out.loss, "adapted_loss", f);
  out.loss.backward();
  EXPECT_EQ(test::expect_peft_gradients(*set, f), 2u * 7u * 3u);
  set->merge();
  loaded.model->eval();
  torch::NoGradGuard no_grad;
  expect_close(loaded.model->forward(f.forward_inputs(device)).logits, f.want("merged_logits"), "merged logits");
}

}  // namespace
}  // namespace vltune
