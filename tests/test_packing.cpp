// Packed batches (data.packing; training/packing.h, training/batch.cpp): on the fixtures, a packed
// micro-batch's summed loss and the gradient of every trainable tensor equal those of the same
// samples padded one per row (LoRA and DoRA on every linear of the decoder and the projector;
// Qwen2.5-VL with images at M-RoPE positions); the positions restart per sample, no sample's
// attention reaches another's, and each sample's first token is never a target.
#include <yaml-cpp/yaml.h>

#include <optional>

#include "adapters/adapter_set.h"
#include "adapters/placement.h"
#include "language/llama.h"
#include "multimodal/model_loader.h"
#include "multimodal/qwen2_vl.h"
#include "tensor_test_support.h"
#include "training/batch.h"

namespace vltune {
namespace {

using test::data_path;
using datasets::PreparedSample;

// A sample of `text` random ids (below `vocab_end`) around `visual` visual tokens (`image_id`),
// labels on its second half.
PreparedSample sample_of(int64_t text, int64_t visual, int64_t image_id, int64_t vocab_end, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  const auto ids = torch::randint(3, vocab_end, {text}, generator, torch::kInt64);
  PreparedSample s;
  const int64_t before = std::min<int64_t>(2, text);
  for (int64_t i = 0; i < before; ++i) s.input_ids.push_back(ids[i].item<int64_t>());
  s.input_ids.insert(s.input_ids.end(), static_cast<std::size_t>(visual), image_id);
  for (int64_t i = before; i < text; ++i) s.input_ids.push_back(ids[i].item<int64_t>());
  for (std::size_t i = 0; i < s.input_ids.size(); ++i)
    s.labels.push_back(i >= s.input_ids.size() / 2 && s.input_ids[i] != image_id ? s.input_ids[i] : -100);
  return s;
}

// LLaVA samples of 34, 31, 28, 20 and 29 tokens, images on the second, third and fifth (25 tokens
// each). In rows of 62 the third joins the first, so its image comes before the second's: the
// visual tokens must follow the packed order.
std::vector<PreparedSample> llava_samples(const multimodal::ModelConfig& c) {
  const int64_t image = c.tokens_per_image(), id = c.image_token_index;  // text ids below the image id
  std::vector<PreparedSample> samples = {sample_of(34, 0, id, id, 1), sample_of(6, image, id, id, 2),
                                         sample_of(3, image, id, id, 3), sample_of(20, 0, id, id, 4),
                                         sample_of(4, image, id, id, 5)};
  for (uint64_t i : {1, 2, 4}) {
    auto generator = at::detail::createCPUGenerator(10 + i);
    samples[i].pixels = torch::randn({1, 3, c.vision->image_size, c.vision->image_size}, generator);
  }
  return samples;
}

struct LossAndGrads {
  double loss = 0;
  int64_t targets = 0;
  std::vector<torch::Tensor> grads;
};

LossAndGrads loss_and_grads(multimodal::VisionLanguageModelImpl& model, adapters::AdapterSet& set,
                            const std::vector<PreparedSample>& samples, int64_t pack_length) {
  for (auto& p : set.parameters()) p.mutable_grad() = torch::Tensor();
  set.refresh_scales();
  const auto batch = training::collate(samples, 0, test::test_device(), pack_length);
  const auto loss = training::summed_loss(model, batch, {});
  loss.backward();
  LossAndGrads out{loss.item<double>(), batch.target_tokens, {}};
  for (const auto& p : set.parameters()) out.grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return out;
}

// Adapters by `method` on every linear of the decoder and the projector, their values moved off
// their initialisation (LoRA's B starts at 0, which would leave A's gradient 0).
std::unique_ptr<adapters::AttachedSet> adapters_on(multimodal::VisionLanguageModelImpl& model,
                                                   const std::string& method, bool projector) {
  std::string yaml = "method: " + method + "\nrank: 4\nalpha: 8\nrules:\n  - {component: language, modules: all_linear}\n";
  if (projector) yaml += "  - {component: projector, modules: all_linear}\n";
  auto built = adapters::build_adapter_set(method, adapters::plan_adapters(adapters::parse_placement(YAML::Load(yaml), "test"),
                                                                           adapters::linear_sites(model)), 5);
  auto generator = at::detail::createCPUGenerator(9);
  torch::NoGradGuard no_grad;
  for (auto& p : built->parameters()) p.add_(torch::randn(p.sizes(), generator).to(p.device()) * 0.05);
  auto attached = std::make_unique<adapters::AttachedSet>(std::move(built));
  attached->set->train(true);
  return attached;
}

void expect_packed_equals_padded(multimodal::VisionLanguageModelImpl& model, adapters::AdapterSet& set,
                                 const std::vector<PreparedSample>& samples, int64_t pack_length) {
  const auto padded = loss_and_grads(model, set, samples, 0);
  const auto packed = loss_and_grads(model, set, samples, pack_length);
  EXPECT_EQ(packed.targets, padded.targets);
  EXPECT_NEAR(packed.loss, padded.loss, 1e-5 * std::abs(padded.loss));
  ASSERT_EQ(packed.grads.size(), padded.grads.size());
  ASSERT_FALSE(padded.grads.empty());
  for (std::size_t i = 0; i < padded.grads.size(); ++i) {
    EXPECT_GT(test::max_abs(padded.grads[i]), 0.0) << "gradient " << i;
    EXPECT_TENSORS_NEAR(packed.grads[i], padded.grads[i], 1e-5 * test::max_abs(padded.grads[i])) << "gradient " << i;
  }
}

class LlavaPacking : public ::testing::Test {
 protected:
  void SetUp() override {
    multimodal::LoadOptions options;
    options.device = test::test_device();
    loaded.emplace(multimodal::load_model(data_path("hf-tiny-llava-clip-llama/base"), options));
    for (auto& p : loaded->model->parameters()) p.requires_grad_(false);
    samples = llava_samples(loaded->config);
  }
  multimodal::VisionLanguageModelImpl& model() { return *loaded->model; }
  std::optional<multimodal::LoadedModel> loaded;
  std::vector<PreparedSample> samples;
};

TEST_F(LlavaPacking, TheBatchPacksIntoFewerRowsOutOfBatchOrder) {
  ASSERT_EQ(loaded->config.tokens_per_image(), 25);
  const auto batch = training::collate(samples, 0, torch::kCPU, 62);
  EXPECT_EQ(batch.input_ids.size(0), 3);  // rows: samples 0 and 2, 1 and 4, 3
  EXPECT_EQ(batch.input_ids.size(1), 62);
  EXPECT_EQ(batch.tokens, 34 + 31 + 28 + 20 + 29);
  // The pixels go in the packed order: sample 2's image before sample 1's.
  ASSERT_EQ(batch.pixels.size(), 5u);
  EXPECT_FALSE(batch.pixels[0].defined());
  EXPECT_TRUE(torch::equal(batch.pixels[1], samples[2].pixels));
  EXPECT_TRUE(torch::equal(batch.pixels[2], samples[1].pixels));
  EXPECT_TRUE(torch::equal(batch.pixels[3], samples[4].pixels));
  EXPECT_FALSE(training::collate(samples, 0, torch::kCPU, 0).position_ids.defined());  // unpacked: as before
}

TEST_F(LlavaPacking, PositionsRestartMaskNumbersSamplesAndFirstTokensAreNotTargets) {
  const auto batch = training::collate(samples, 0, torch::kCPU, 62);
  const auto mask = batch.attention_mask[0], positions = batch.position_ids[0], labels = batch.labels[0];
  const int64_t first = 34, second = 28;  // samples 0 and 2
  EXPECT_TRUE(torch::equal(positions.narrow(0, 0, first), torch::arange(first)));
  EXPECT_TRUE(torch::equal(positions.narrow(0, first, second), torch::arange(second)));
  EXPECT_TRUE(torch::equal(mask, torch::cat({torch::full({first}, 1, torch::kInt64), torch::full({second}, 2, torch::kInt64)})));
  EXPECT_EQ(batch.attention_mask[2].narrow(0, 20, 42).sum().item<int64_t>(), 0);  // row 2's padding
  EXPECT_EQ(labels[first].item<int64_t>(), -100);  // the last token of sample 0 predicts nothing
  EXPECT_TRUE(torch::equal(labels.narrow(0, first + 1, second - 1),
                           torch::tensor(samples[2].labels, torch::kInt64).narrow(0, 1, second - 1)));
}

TEST_F(LlavaPacking, LoraLossAndGradientsEqualThePaddedBatch) {
  auto set = adapters_on(model(), "lora", /*projector=*/true);
  expect_packed_equals_padded(model(), *set->set, samples, 62);
}

TEST_F(LlavaPacking, DoraLossAndGradientsEqualThePaddedBatch) {
  auto set = adapters_on(model(), "dora", /*projector=*/true);
  expect_packed_equals_padded(model(), *set->set, samples, 62);
}

TEST_F(LlavaPacking, GradientCheckpointingPacksTheSame) {
  auto set = adapters_on(model(), "dora", /*projector=*/false);
  const auto plain = loss_and_grads(model(), *set->set, samples, 62);
  model().set_gradient_checkpointing(true);
  const auto checkpointed = loss_and_grads(model(), *set->set, samples, 62);
  model().set_gradient_checkpointing(false);
  EXPECT_NEAR(checkpointed.loss, plain.loss, 1e-6 * plain.loss);
  for (std::size_t i = 0; i < plain.grads.size(); ++i) EXPECT_TENSORS_NEAR(checkpointed.grads[i], plain.grads[i], 1e-6);
}

// The trainer's loss reaches adapters on the projector (and the vision tower), which are not
// registered in the model: the visual tokens need autograd for them. (Before the fix, the tower and
// projector ran without autograd whenever the model's own parameters were frozen, so those adapters
// never trained: tiny-vlm's pretraining trained its decoder only.)
TEST_F(LlavaPacking, TheLossTrainsAdaptersOnTheProjector) {
  const std::string yaml = "method: lora\nrank: 4\nalpha: 8\nrules:\n  - {component: projector, modules: all_linear}\n"
                           "  - {component: vision, modules: all_linear, layers: [0]}\n";
  adapters::AttachedSet set(adapters::build_adapter_set(
      "projector", adapters::plan_adapters(adapters::parse_placement(YAML::Load(yaml), "test"), adapters::linear_sites(model())), 5));
  set->train(true);
  const auto padded = loss_and_grads(model(), *set.set, samples, 0);
  ASSERT_FALSE(padded.grads.empty());
  for (std::size_t i = 0; i < padded.grads.size(); i += 2)  // lora_B: A's gradient is 0 while B is
    EXPECT_GT(test::max_abs(padded.grads[i + 1]), 0.0) << "adapter tensor " << i + 1;
}

// A batch's images and clip frames go through the vision tower in one pass (training/batch.cpp
// visual_tokens): the visual tokens equal each sample's own pass, images and a 3-frame clip mixed,
// in sample order, and so does the gradient that reaches the tower's adapters.
TEST_F(LlavaPacking, TheVisionTowerTakesTheBatchInOnePassWithEachSamplesTokens) {
  auto mixed = samples;
  const int64_t id = loaded->config.image_token_index, side = loaded->config.vision->image_size;
  const multimodal::VideoPooling pooling;  // concat, no spatial pooling
  mixed.insert(mixed.begin() + 2, sample_of(5, model().tokens_per_video(3, pooling), id, id, 6));
  auto generator = at::detail::createCPUGenerator(21);
  mixed[2].pixels = torch::randn({3, 3, side, side}, generator);
  mixed[2].video = true;
  const std::string yaml = "method: lora\nrank: 4\nalpha: 8\nrules:\n  - {component: vision, modules: all_linear}\n";
  adapters::AttachedSet set(adapters::build_adapter_set(
      "vision", adapters::plan_adapters(adapters::parse_placement(YAML::Load(yaml), "test"), adapters::linear_sites(model())), 5));
  set.set->train(true);
  const auto batch = training::collate(mixed, 0, test::test_device(), 0);
  const auto batched = training::visual_tokens(model(), batch, pooling);
  std::vector<torch::Tensor> own;
  for (const auto& s : mixed)
    if (s.pixels.defined()) {
      const auto pixels = s.pixels.to(test::test_device());
      own.push_back(s.video ? model().video_features(pixels, pooling)
                            : model().image_features(pixels).reshape({-1, loaded->config.text.hidden_size}));
    }
  const auto one_by_one = torch::cat(own).unsqueeze(0);
  ASSERT_EQ(batched.sizes(), one_by_one.sizes());
  EXPECT_TENSORS_NEAR(batched, one_by_one, 1e-5 * test::max_abs(one_by_one));
  const auto weights = torch::randn(one_by_one.sizes(), generator).to(one_by_one.device());
  auto grads_of = [&](const torch::Tensor& tokens) {
    for (auto& p : set.set->parameters()) p.mutable_grad() = torch::Tensor();
    (tokens * weights).sum().backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : set.set->parameters())  // layers past vision_feature_layer get none
      grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return grads;
  };
  const auto batched_grads = grads_of(batched), own_grads = grads_of(one_by_one);
  double largest = 0;
  for (const auto& g : own_grads) largest = std::max(largest, test::max_abs(g));
  ASSERT_GT(largest, 0.0);
  for (std::size_t i = 0; i < own_grads.size(); ++i)
    EXPECT_TENSORS_NEAR(batched_grads[i], own_grads[i], 1e-5 * std::max(test::max_abs(own_grads[i]), 1e-12)) << "adapter tensor " << i;
}

// The decoder on one packed row [A, B]: B's outputs are B's alone, whatever A holds. A leak across
// the samples (a mask that let B see A) would change them.
TEST_F(LlavaPacking, NoSampleAttendsToAnother) {
  torch::NoGradGuard no_grad;
  auto& decoder = *model().language_model;
  const auto options = torch::TensorOptions().device(test::test_device());
  auto generator = at::detail::createCPUGenerator(3);
  const auto a = torch::randn({1, 7, decoder.config().hidden_size}, generator).to(test::test_device());
  const auto b = torch::randn({1, 5, decoder.config().hidden_size}, generator).to(test::test_device());
  const auto mask = torch::tensor({1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, torch::kInt64).view({1, -1});
  const auto positions = torch::cat({torch::arange(7), torch::arange(5)}).view({1, -1}).to(options.device());
  const auto alone = decoder.forward(b, torch::ones({1, 5}, torch::kInt64));
  const auto packed = decoder.forward(torch::cat({a, b}, 1), mask, nullptr, positions).narrow(1, 7, 5);
  const auto other = decoder.forward(torch::cat({a * 3 + 1, b}, 1), mask, nullptr, positions).narrow(1, 7, 5);
  EXPECT_TENSORS_NEAR(packed, alone, 1e-5);
  EXPECT_TENSORS_NEAR(other, alone, 1e-5);
  // The same row as one sample (mask all 1): B's outputs then depend on A.
  const auto joined = decoder.forward(torch::cat({a, b}, 1), torch::ones({1, 12}, torch::kInt64), nullptr, positions);
  EXPECT_GT(test::max_abs_diff(joined.narrow(1, 7, 5), alone), 1e-3);
}

// Qwen2.5-VL samples in the patch layout: <|vision_start|>, one image token per merged patch of
// a (1, 4, w) grid (w tokens), <|vision_end|>, text; and one text-only sample.
std::vector<PreparedSample> qwen_samples(const multimodal::ModelConfig& c) {
  const int64_t image_id = c.image_token_index;
  auto image_sample = [&](int64_t text, int64_t w, uint64_t seed) {
    auto s = sample_of(text, w, image_id, image_id, seed);
    s.input_ids.insert(s.input_ids.begin() + 2, c.vision_start_token_id);
    s.input_ids.insert(s.input_ids.begin() + 3 + w, c.vision_end_token_id);
    s.labels.insert(s.labels.begin() + 2, -100);
    s.labels.insert(s.labels.begin() + 3 + w, -100);
    auto generator = at::detail::createCPUGenerator(seed + 50);
    s.pixels = torch::randn({4 * w, c.qwen_vision->patch_values()}, generator);
    s.image_grid_thw = torch::tensor({int64_t{1}, int64_t{4}, w}, torch::kInt64).view({1, 3});
    return s;
  };
  // 16, 12, 11 and 13 tokens; in rows of 29, samples 0 and 3, then 1 and 2: sample 3's image
  // comes before sample 1's.
  return {image_sample(10, 4, 1), image_sample(4, 6, 2), sample_of(11, 0, image_id, image_id, 3), image_sample(7, 4, 4)};
}

std::vector<vision::PatchGrid> grids_of_widths(const std::vector<int64_t>& widths) {
  std::vector<vision::PatchGrid> out;
  for (auto w : widths) out.push_back({1, 4, w});
  return out;
}

TEST(QwenPacking, DoraLossAndGradientsEqualThePaddedBatchAtMropePositions) {
  multimodal::LoadOptions options;
  options.device = test::test_device();
  auto loaded = multimodal::load_model(data_path("hf-tiny-qwen2_5-vl/base"), options);
  auto& model = *loaded.model;
  for (auto& p : model.parameters()) p.requires_grad_(false);
  const auto samples = qwen_samples(loaded.config);
  const auto batch = training::collate(samples, 0, torch::kCPU, 29);
  ASSERT_EQ(batch.input_ids.size(0), 2);
  EXPECT_TRUE(torch::equal(batch.image_grid_thw.select(1, 2), torch::tensor({4, 4, 6}, torch::kInt64)));
  auto set = adapters_on(model, "dora", /*projector=*/false);
  expect_packed_equals_padded(model, *set->set, samples, 29);
}

TEST(QwenPacking, MropePositionsRestartPerSample) {
  auto loaded = multimodal::load_model(data_path("hf-tiny-qwen2_5-vl/base"));
  const auto samples = qwen_samples(loaded.config);
  const auto packed = training::collate(samples, 0, torch::kCPU, 29);
  const auto positions = multimodal::qwen2_vl_position_ids(loaded.config, packed.input_ids, packed.attention_mask,
                                                           grids_of_widths({4, 4, 6}), {}, {});
  struct Place {
    std::size_t sample;
    int64_t row, offset;
    std::vector<int64_t> widths;
  };
  // Each sample's positions in its packed row are those of its own row alone.
  for (const auto& place : {Place{0, 0, 0, {4}}, Place{3, 0, 16, {4}}, Place{1, 1, 0, {6}}, Place{2, 1, 12, {}}}) {
    const auto& sample = samples[place.sample];
    const auto n = static_cast<int64_t>(sample.input_ids.size());
    const auto ids = torch::tensor(sample.input_ids, torch::kInt64).view({1, -1});
    const auto alone = multimodal::qwen2_vl_position_ids(loaded.config, ids, {}, grids_of_widths(place.widths), {}, {});
    EXPECT_TRUE(torch::equal(positions.select(1, place.row).narrow(1, place.offset, n), alone.select(1, 0))) << place.sample;
  }
}

TEST(PackedMask, IsBlockDiagonalCausalAndLeavesPaddingQueriesAsBefore) {
  const auto mask = torch::tensor({{1, 1, 2, 2, 2, 0}}, torch::kInt64);
  const auto built = language::build_attention_mask(mask, std::nullopt, torch::kFloat32);
  ASSERT_FALSE(built.plain_causal());
  const auto allowed = (built.additive[0][0] == 0).to(torch::kInt64);
  const auto want = torch::tensor({{1, 0, 0, 0, 0, 0},
                                   {1, 1, 0, 0, 0, 0},
                                   {0, 0, 1, 0, 0, 0},
                                   {0, 0, 1, 1, 0, 0},
                                   {0, 0, 1, 1, 1, 0},
                                   {1, 1, 1, 1, 1, 0}}, torch::kInt64);  // the pad query: every real key before it
  EXPECT_TRUE(torch::equal(allowed, want)) << allowed;
  EXPECT_FALSE(built.empty_rows.defined());
  // A 0/1 mask is one sample per row, as before.
  EXPECT_TRUE(language::build_attention_mask(torch::ones({2, 4}, torch::kInt64), std::nullopt, torch::kFloat32).plain_causal());
}

}  // namespace
}  // namespace vltune
