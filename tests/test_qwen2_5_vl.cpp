// Qwen2.5-VL against transformers 5.17 + PEFT 0.21 (tests/data/hf-tiny-qwen2_5-vl, from
// ../shared/fixtures): an image row and a left-padded video row in one batch. Loading both key
// layouts strictly, the vision tower (window attention, merger), M-RoPE position ids exactly, base
// logits and loss, DoRA's adapted logits, every gradient and merged logits, and bad inputs.
// VLTUNE_TEST_DEVICE=cuda runs the same checks on the GPU at 1e-3.
#include "adapters/adapter_set.h"
#include "adapters/peft_io.h"
#include "core/json_view.h"
#include "language/mrope.h"
#include "language/mrope_positions.h"
#include "language/rope.h"
#include "multimodal/model_loader.h"
#include "multimodal/qwen2_vl.h"
#include "qwen_fixture.h"
#include "tensor_test_support.h"
#include "vision/qwen_image_processor.h"
#include "vision/qwen_vision_grid.h"
#include "vision/segment_attention.h"

namespace vltune {
namespace {

using multimodal::ForwardInputs;
using multimodal::load_model;
using test::data_path;
using test::expect_error;
using test::TempDir;

const std::string kFixture = "hf-tiny-qwen2_5-vl";

using test::expect_close;
using test::expect_loss;

struct Fixture : test::QwenFixture {
  Fixture() : QwenFixture(kFixture) {}
};

double tolerance() { return test::qwen_tolerance(); }

// --- the index arithmetic (torch-free) -------------------------------------------------------

// A 4x8 patch grid, merged 2x2 into a 2x4 grid of tokens, windows of 2x2 tokens: two windows side
// by side, each holding units {0, 1, 4, 5} and {2, 3, 6, 7} of the row-major merged grid.
TEST(QwenGrid, WindowOrderTilesTheMergedGrid) {
  const auto order = vision::window_order({{1, 4, 8}}, 2, 2);
  EXPECT_EQ(order.unit_order, (std::vector<int64_t>{0, 1, 4, 5, 2, 3, 6, 7}));
  EXPECT_EQ(order.window_lengths, (std::vector<int64_t>{16, 16}));
  // Two frames of a 6x4 grid (3x2 merged), windows of 2: a full window and a half one per frame.
  const auto clip = vision::window_order({{2, 6, 4}}, 2, 2);
  EXPECT_EQ(clip.unit_order, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(clip.window_lengths, (std::vector<int64_t>{16, 8, 16, 8}));
  EXPECT_EQ(vision::frame_lengths({{2, 6, 4}, {1, 2, 2}}), (std::vector<int64_t>{24, 24, 4}));
}

TEST(QwenGrid, PatchPositionsFollowMergeBlocks) {
  const auto positions = vision::patch_rows_columns({{1, 2, 4}}, 2);
  const std::vector<std::array<int64_t, 2>> expected = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}};
  EXPECT_EQ(positions, expected);
  expect_error([] { vision::check_grids({{1, 3, 4}}, 2, "[qwen] image_grid_thw"); },
               {"image_grid_thw row 0 is (1, 3, 4)", "divisible by spatial_merge_size 2"});
}

// Text after a video continues at start + max(h, w) (transformers 5), time ids step by the interval.
TEST(QwenGrid, RopeIndexOfTextAndVideo) {
  using language::TokenKind;
  language::VisionBlockQueue queue;
  queue.videos.push_back({2, 1, 2, 3});
  const std::vector<TokenKind> kinds = {TokenKind::kText, TokenKind::kVideo, TokenKind::kVideo, TokenKind::kVideo,
                                        TokenKind::kVideo, TokenKind::kText};
  const auto row = language::mrope_row_positions(kinds, queue, "row");
  EXPECT_EQ(row.axes[0], (std::vector<int64_t>{0, 1, 1, 4, 4, 3}));
  EXPECT_EQ(row.axes[1], (std::vector<int64_t>{0, 1, 1, 1, 1, 3}));
  EXPECT_EQ(row.axes[2], (std::vector<int64_t>{0, 1, 2, 1, 2, 3}));
  EXPECT_EQ(row.next, 5);
  language::VisionBlockQueue none;
  expect_error([&] { language::mrope_row_positions(kinds, none, "[qwen] batch row 0"); },
               {"[qwen] batch row 0", "more video runs than the 0 videos given"});
}

// Block-diagonal attention equals full attention under a block-diagonal mask, gradients included
// (in fp64; LibTorch 1.13's eager softmax runs in fp32, hence 1e-6).
TEST(QwenGrid, SegmentAttentionIsBlockDiagonal) {
  torch::manual_seed(0);
  const std::vector<int64_t> lengths = {3, 5, 3, 1};
  auto q = torch::randn({12, 2, 4}, torch::dtype(torch::kFloat64).requires_grad(true));
  auto k = torch::randn({12, 2, 4}, torch::kFloat64), v = torch::randn({12, 2, 4}, torch::kFloat64);
  const auto got = vision::SegmentPlan(lengths, torch::kCPU).attend(q, k, v, 0.5);
  auto mask = torch::full({12, 12}, -std::numeric_limits<double>::infinity(), torch::kFloat64);
  for (int64_t start = 0, i = 0; i < static_cast<int64_t>(lengths.size()); start += lengths[i++])
    mask.slice(0, start, start + lengths[i]).slice(1, start, start + lengths[i]).zero_();
  const auto scores = torch::matmul(q.transpose(0, 1), k.transpose(0, 1).transpose(1, 2)) * 0.5 + mask;
  const auto want = torch::matmul(torch::softmax(scores, -1), v.transpose(0, 1)).transpose(0, 1);
  EXPECT_TENSORS_NEAR(got, want, 1e-6);
  const auto g1 = torch::autograd::grad({got.sum()}, {q})[0];
  const auto g2 = torch::autograd::grad({want.sum()}, {q})[0];
  EXPECT_TENSORS_NEAR(g1, g2, 1e-6);
}

// --- the fixture ----------------------------------------------------------------------------

TEST(QwenModel, LoadsTheHubLayoutStrictly) {
  const Fixture f;
  const auto loaded = f.load();
  EXPECT_EQ(loaded.layout.name, "qwen2-vl hub");
  EXPECT_EQ(loaded.report.tensors, 81u);
  const auto& c = loaded.config;
  ASSERT_TRUE(c.qwen_vision.has_value());
  EXPECT_EQ(c.text.rope.mrope_section, (std::vector<int64_t>{2, 3, 3}));
  EXPECT_EQ(c.qwen_vision->fullatt_block_indexes, (std::vector<int64_t>{3}));
  EXPECT_EQ(c.qwen_vision->window_units(), 2);
  EXPECT_EQ(c.image_token_index, 300);
  EXPECT_EQ(c.video_token_index, 301);
}

TEST(QwenModel, PositionIdsEqualGetRopeIndex) {
  const Fixture f;
  const auto loaded = f.load();
  const auto in = f.forward_inputs(torch::kCPU);
  const auto positions = multimodal::qwen2_vl_position_ids(
      loaded.config, in.input_ids, in.attention_mask, multimodal::patch_grids(in.image_grid_thw, "image_grid_thw"),
      multimodal::patch_grids(in.video_grid_thw, "video_grid_thw"), in.second_per_grid_ts);
  EXPECT_TRUE(torch::equal(positions, f.expected->tensor("position_ids")));
}

TEST(QwenModel, VisionTowerEqualsTransformers) {
  const Fixture f;
  auto loaded = f.load();
  const auto device = test::test_device();
  torch::NoGradGuard no_grad;
  const auto grids = multimodal::patch_grids(f.inputs->tensor("image_grid_thw"), "image_grid_thw");
  const auto out = loaded.model->visual(f.inputs->tensor("pixel_values").to(device), grids);
  expect_close(out.merged, f.expected->tensor("image_pooler_output"), "merger output");
  expect_close(out.last_hidden_state, f.expected->tensor("image_last_hidden_state"), "last hidden state");
}

TEST(QwenModel, BaseLogitsAndLossEqualTransformers) {
  const Fixture f;
  auto loaded = f.load();
  torch::NoGradGuard no_grad;
  const auto out = loaded.model->forward(f.forward_inputs(test::test_device()));
  expect_close(out.logits, f.expected->tensor("base_logits"), "logits");
  expect_loss(out.loss, "base_loss", f);
  // transformers' loss is the shifted mean cross-entropy of its logits
  EXPECT_NEAR(multimodal::causal_lm_loss(f.expected->tensor("base_logits"), f.inputs->tensor("labels")).item<double>(),
              f.expected->tensor("base_loss").item<double>(), 1e-5);
  expect_close(out.image_features, f.expected->tensor("image_pooler_output"), "image features");
  EXPECT_TRUE(torch::equal(out.position_ids.cpu(), f.expected->tensor("position_ids")));
}

// transformers 5's in-memory names (model.language_model.*, model.visual.*, lm_head.*), sharded.
TEST(QwenModel, LoadsTheNestedLayout) {
  const Fixture f;
  TempDir dir;
  test::rewrite_checkpoint(f.base, dir.path().string(),
                           [](const std::string& n) {
                             if (n.rfind("visual.", 0) == 0) return "model." + n;
                             return test::replace_prefix(n, "model.", "model.language_model.");
                           },
                           torch::kFloat32, 2);
  auto loaded = f.load(dir.path().string());
  EXPECT_EQ(loaded.layout.name, "model.*-nested");
  torch::NoGradGuard no_grad;
  expect_close(loaded.model->forward(f.forward_inputs(test::test_device())).logits, f.expected->tensor("base_logits"),
               "logits");
}

TEST(QwenModel, LoadingStaysStrict) {
  const Fixture f;
  TempDir dir;
  test::rewrite_checkpoint(f.base, dir.path().string(),
                           [](const std::string& n) {
                             return n == "visual.merger.mlp.2.bias" ? std::string("visual.merger.mlp.3.bias") : n;
                           },
                           torch::kFloat32, 1);
  expect_error([&] { load_model(dir.path().string()); },
               {"unexpected tensor 'visual.merger.mlp.3.bias'", "missing tensor for 'visual.merger.mlp.2.bias'"});
}

// The left pad (row 1, position 0) predicts row 1's first label, so what it gets from attention
// is in the loss. Eager attention gives it the average of row 1's values: every real position's
// logits stay, the pad's change, and so does the loss (5.8291 against SDPA's 5.8517).
TEST(QwenModel, EmptyRowRuleChangesOnlyThePaddedPosition) {
  const Fixture f;
  auto eager = f.load("", language::EmptyRowRule::kEager);
  torch::NoGradGuard no_grad;
  const auto out = eager.model->forward(f.forward_inputs(test::test_device()));
  const auto want = f.expected->tensor("base_logits");
  const auto diff = (out.logits.cpu() - want).abs().amax(-1);  // [2, 17]
  EXPECT_GT(diff[1][0].item<double>(), 0.1);
  diff[1][0] = 0;
  EXPECT_LT(diff.max().item<double>(), tolerance());
  EXPECT_GT(std::abs(out.loss.item<double>() - f.expected->tensor("base_loss").item<double>()), 0.01);
}

// DoRA from the fixture's PEFT adapter: adapted logits and loss, every adapter gradient, merged logits.
TEST(QwenModel, DoraAdapterEqualsPeft) {
  const Fixture f;
  auto loaded = f.load();
  auto set = adapters::load_peft_adapter(data_path(kFixture + "/adapter"), *loaded.model, loaded.config.multimodal());
  const auto device = test::test_device();
  set->attach();
  set->train(true);
  auto out = loaded.model->forward(f.forward_inputs(device));
  expect_close(out.logits, f.expected->tensor("adapted_logits"), "adapted logits");
  expect_loss(out.loss, "adapted_loss", f);
  out.loss.backward();
  const std::size_t compared = test::expect_peft_gradients(*set, f);
  EXPECT_EQ(compared, 12u);
  set->merge();
  loaded.model->eval();
  torch::NoGradGuard no_grad;
  expect_close(loaded.model->forward(f.forward_inputs(device)).logits, f.expected->tensor("merged_logits"),
               "merged logits");
}

// --- the processor ----------------------------------------------------------------------------

TEST(QwenProcessor, SmartResize) {
  using vision::smart_resize;
  const auto same = smart_resize(84, 56, 28, 56 * 56, 28 * 28 * 1280, "img");
  EXPECT_EQ(same.height, 84);
  EXPECT_EQ(same.width, 56);
  const auto rounded = smart_resize(98, 70, 28, 56 * 56, 28 * 28 * 1280, "img");  // 3.5 -> 4, 2.5 -> 2 (half to even)
  EXPECT_EQ(rounded.height, 112);
  EXPECT_EQ(rounded.width, 56);
  const auto capped = smart_resize(1000, 800, 28, 56 * 56, 28 * 28 * 256, "img");
  EXPECT_LE(capped.height * capped.width, 28 * 28 * 256);
  EXPECT_EQ(capped.height % 28, 0);
  EXPECT_EQ(capped.height, 476);  // floor(1000 / sqrt(800000 / 200704) / 28) * 28
  EXPECT_EQ(capped.width, 392);
  const auto raised = smart_resize(30, 40, 28, 56 * 56, 28 * 28 * 1280, "img");
  EXPECT_EQ(raised.height, 56);  // ceil(30 * sqrt(3136 / 1200) / 28) * 28
  EXPECT_EQ(raised.width, 84);
  expect_error([] { smart_resize(27, 100, 28, 1, 1 << 30, "photo.png"); }, {"photo.png", "100x27", "at least 28 px"});
  expect_error([] { smart_resize(28, 28 * 201, 28, 1, 1 << 30, "wide.png"); }, {"wide.png", "aspect ratio above 200"});
}

// pixel_values and pixel_values_videos of the fixture, from its PNGs (sizes that need no resize).
TEST(QwenProcessor, PixelValuesFromThePngs) {
  if (!media::available()) GTEST_SKIP() << "built without media support";
  const Fixture f;
  const auto config = multimodal::read_model_config(f.base);
  const auto processor = vision::qwen_processor_config(f.base, *config.qwen_vision);
  const auto image = vision::qwen_preprocess({media::decode_image(data_path(kFixture + "/media/image.png"))}, processor,
                                             "image.png");
  EXPECT_EQ(image.grid.t, 1);
  EXPECT_EQ(image.grid.h, 6);
  EXPECT_EQ(image.grid.w, 4);
  EXPECT_TENSORS_NEAR(image.pixel_values, f.inputs->tensor("pixel_values"), 1e-5);
  std::vector<media::Image> frames;
  for (int i = 0; i < 4; ++i) frames.push_back(media::decode_image(data_path(cat(kFixture, "/media/frame", i, ".png"))));
  const auto clip = vision::qwen_preprocess(frames, processor, "frames");
  EXPECT_EQ(clip.grid.t, 2);
  EXPECT_TENSORS_NEAR(clip.pixel_values, f.inputs->tensor("pixel_values_videos"), 1e-5);
  // An odd count repeats the last frame: three frames give the same two temporal patches as 0, 1, 2, 2.
  const std::vector<media::Image> three(frames.begin(), frames.begin() + 3);
  const std::vector<media::Image> padded = {frames[0], frames[1], frames[2], frames[2]};
  EXPECT_TRUE(torch::equal(vision::qwen_preprocess(three, processor, "three").pixel_values,
                           vision::qwen_preprocess(padded, processor, "padded").pixel_values));
}

// --- bad input --------------------------------------------------------------------------------

void write_config(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
  auto config = read_json_file(data_path(kFixture + "/base/config.json"));
  edit(config);
  write_file_atomically(dir + "/config.json", config.dump());
}

TEST(QwenErrors, MropeSectionMustSumToHalfTheHead) {
  TempDir dir;
  write_config(dir.path().string(), [](nlohmann::json& c) {
    c["text_config"]["rope_parameters"]["mrope_section"] = {2, 3, 4};
  });
  expect_error([&] { multimodal::read_model_config(dir.path().string()); },
               {"config.json", "text_config.rope_parameters.mrope_section", "summing to head_dim / 2 = 8", "summing to 9"});
}

TEST(QwenErrors, GridsMustMatchPixelsAndTokens) {
  const Fixture f;
  auto loaded = f.load();
  torch::NoGradGuard no_grad;
  auto in = f.forward_inputs(torch::kCPU);
  in.image_grid_thw = torch::tensor({{1, 4, 4}}, torch::kInt64);  // 16 patches, but 24 rows of pixels
  expect_error([&] { loaded.model->forward(in); }, {"[qwen] batch row 0", "a run of 6 image tokens", "image 1's grid gives 4"});

  in = f.forward_inputs(torch::kCPU);
  in.pixel_values = in.pixel_values.narrow(0, 0, 20);
  expect_error([&] { loaded.model->forward(in); }, {"pixel_values is [20, 1176]", "gives [24, 1176]"});

  in = f.forward_inputs(torch::kCPU);  // a second image run in the text, one image given
  in.input_ids = in.input_ids.clone();
  in.input_ids[0][13] = 300;
  expect_error([&] { loaded.model->forward(in); }, {"more image runs than the 1 images given"});

  in = f.forward_inputs(torch::kCPU);
  in.image_grid_thw = torch::Tensor();
  expect_error([&] { loaded.model->forward(in); }, {"pixel_values were given without image_grid_thw"});
}

}  // namespace
}  // namespace vltune

