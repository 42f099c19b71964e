// multimodal/lm_head_loss.h: the fused, chunked head and cross-entropy against the whole-logits
// path (lm_head(hidden).float() then cross_entropy), in fp32 and bf16, loss and every gradient: the
// rows', the output weight's (full fine-tuning, untied and tied) and the adapters' on the fixtures;
// on VLTUNE_TEST_DEVICE (the GPU machine runs them on CUDA too).
#include <optional>

#include "adapters/peft_io.h"
#include "multimodal/lm_head_loss.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using test::data_path;
using test::max_abs_diff;

namespace F = torch::nn::functional;

// The whole-logits path: the reference every chunked result is checked against.
torch::Tensor whole_logits_loss_sum(const torch::Tensor& rows, const torch::Tensor& weight, const torch::Tensor& targets) {
  return F::cross_entropy(F::linear(rows, weight).to(torch::kFloat32), targets,
                          F::CrossEntropyFuncOptions().reduction(torch::kSum));
}

struct LossAndGrads {
  double loss;
  torch::Tensor rows_grad, weight_grad;
};

LossAndGrads run(bool chunked, torch::Dtype dtype, int64_t chunk_rows, double upstream) {
  torch::manual_seed(7);
  const auto device = test::test_device();
  auto rows = (torch::randn({37, 16}) * 2).to(device, dtype).requires_grad_(true);
  auto weight = torch::randn({50, 16}).to(device, dtype).requires_grad_(true);
  const auto targets = torch::randint(0, 50, {37}, torch::kInt64).to(device);
  auto loss = chunked ? multimodal::projected_cross_entropy_sum(rows, weight, targets, chunk_rows)
                      : whole_logits_loss_sum(rows, weight, targets);
  (loss * upstream).backward();
  return {loss.item<double>(), rows.grad(), weight.grad()};
}

double relative(const torch::Tensor& a, const torch::Tensor& b) {
  return max_abs_diff(a, b) / test::max_abs(b);
}

TEST(LmHeadLoss, ChunkedEqualsWholeLogitsInFp32AtEveryChunkSize) {
  // CUDA's matmuls pick other kernels for other row counts: 1.01e-6 was seen there.
  const double tolerance = test::test_device().is_cpu() ? 1e-6 : 1e-5;
  const auto whole = run(false, torch::kFloat32, 0, 0.5);
  for (int64_t chunk : {1, 4, 36, 37, 1000}) {
    const auto chunked = run(true, torch::kFloat32, chunk, 0.5);
    EXPECT_NEAR(chunked.loss, whole.loss, tolerance * std::abs(whole.loss)) << chunk;
    EXPECT_LT(relative(chunked.rows_grad, whole.rows_grad), tolerance) << chunk;
    EXPECT_LT(relative(chunked.weight_grad, whole.weight_grad), tolerance) << chunk;
  }
}

TEST(LmHeadLoss, Bf16RoundsWhereTheWholeLogitsPathRounds) {
  const auto whole = run(false, torch::kBFloat16, 0, 1.0);
  const auto chunked = run(true, torch::kBFloat16, 5, 1.0);
  EXPECT_NEAR(chunked.loss, whole.loss, 1e-5 * std::abs(whole.loss));
  // The same bf16 logits and bf16 logit gradients; only the order of fp32 sums differs, so the
  // gradients agree to about one bf16 rounding (2^-8 relative).
  EXPECT_LT(relative(chunked.rows_grad, whole.rows_grad), 1.0 / 128);
  EXPECT_LT(relative(chunked.weight_grad, whole.weight_grad), 1.0 / 128);
}

TEST(LmHeadLoss, MisfittingShapesAreAnError) {
  test::expect_error([] { multimodal::projected_cross_entropy_sum(torch::zeros({3, 4}), torch::zeros({5, 6}),
                                                                  torch::zeros({3}, torch::kInt64), 2); },
                     {"do not fit together"});
  test::expect_error([] { multimodal::next_token_targets(torch::zeros({3}), torch::kCPU); }, {"[batch, length]"});
}

TEST(LmHeadLoss, TargetsAreTheNextLabelsThatAreNotIgnored) {
  const auto labels = torch::tensor({-100, 5, 6, -100, -100, -100, 7, 8}, torch::kInt64).reshape({2, 4});
  const auto targets = multimodal::next_token_targets(labels, torch::kCPU);
  EXPECT_EQ(targets.count, 4);
  EXPECT_TRUE(torch::equal(targets.positions, torch::tensor({0, 1, 5, 6}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(targets.labels, torch::tensor({5, 6, 7, 8}, torch::kInt64)));
}

// forward() with and without logits on a fixture, with `prepare` making some parameters trainable
// and returning them; the loss and every one of their gradients must agree.
using Prepare = std::function<std::vector<torch::Tensor>(multimodal::VisionLanguageModelImpl&)>;
void expect_forward_paths_agree(const std::string& fixture, const Prepare& prepare) {
  multimodal::LoadOptions options;
  options.device = test::test_device();
  auto loaded = multimodal::load_model(data_path(fixture + "/base"), options);
  auto& model = *loaded.model;
  for (auto& p : model.parameters()) p.requires_grad_(false);
  const auto trainable = prepare(model);
  const auto file = safetensors::File::open(data_path(fixture + "/inputs.safetensors"));
  auto inputs = test::fixture_inputs(*file, options.device);
  std::vector<std::pair<torch::Tensor, std::vector<torch::Tensor>>> results;
  for (bool logits : {true, false}) {
    inputs.logits = logits;
    auto out = model.forward(inputs);
    EXPECT_EQ(out.logits.defined(), logits);
    out.loss.backward();
    std::vector<torch::Tensor> grads;
    for (auto p : trainable) {
      grads.push_back(p.grad().clone());
      p.mutable_grad().zero_();
    }
    results.emplace_back(out.loss.detach(), grads);
  }
  ASSERT_FALSE(results[0].second.empty());
  EXPECT_NEAR(results[1].first.item<double>(), results[0].first.item<double>(), 1e-6 * results[0].first.item<double>());
  for (std::size_t i = 0; i < results[0].second.size(); ++i)
    EXPECT_LT(relative(results[1].second[i], results[0].second[i]), 1e-5) << fixture << " gradient " << i;
}

TEST(LmHeadLoss, AdapterGradientsOfTheFixturesEqualTheWholeLogitsPath) {
  std::optional<adapters::AttachedSet> attached;
  expect_forward_paths_agree("hf-tiny-llava-clip-llama", [&](multimodal::VisionLanguageModelImpl& model) {
    attached.emplace(adapters::load_peft_adapter(data_path("hf-tiny-llava-clip-llama/adapter"), model, true));
    return (*attached)->parameters();
  });
}

TEST(LmHeadLoss, FullFineTuningOfAnUntiedAndATiedOutputWeight) {
  expect_forward_paths_agree("hf-tiny-llava-clip-llama", [](multimodal::VisionLanguageModelImpl& model) {
    EXPECT_TRUE(model.lm_head);
    model.lm_head->weight.requires_grad_(true);
    model.language_model->norm->weight.requires_grad_(true);
    return std::vector<torch::Tensor>{model.lm_head->weight, model.language_model->norm->weight};
  });
  expect_forward_paths_agree("hf-tiny-llava-siglip-qwen2", [](multimodal::VisionLanguageModelImpl& model) {
    EXPECT_TRUE(model.tied_embeddings());
    model.language_model->embed_tokens->weight.requires_grad_(true);
    return std::vector<torch::Tensor>{model.language_model->embed_tokens->weight};
  });
}

// An adapter on lm_head has its own forward: the target rows go through it, not the fused path.
struct ScaledHead : LinearAdapter {
  torch::Tensor scale = torch::full({}, 1.5).requires_grad_(true);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor&) override {
    return F::linear(x, weight * scale.to(weight.scalar_type()));
  }
};

TEST(LmHeadLoss, AnAdaptedHeadKeepsItsAdaptersForward) {
  ScaledHead head;
  auto loaded = multimodal::load_model(data_path("hf-tiny-llava-clip-llama/base"));
  loaded.model->lm_head->adapter = &head;
  const auto file = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/inputs.safetensors"));
  auto inputs = test::fixture_inputs(*file);
  std::vector<double> losses, grads;
  for (bool logits : {true, false}) {
    inputs.logits = logits;
    auto loss = loaded.model->forward(inputs).loss;
    loss.backward();
    losses.push_back(loss.item<double>());
    grads.push_back(head.scale.grad().item<double>());
    head.scale.mutable_grad().zero_();
  }
  loaded.model->lm_head->adapter = nullptr;
  EXPECT_NEAR(losses[1], losses[0], 1e-6 * losses[0]);
  EXPECT_NEAR(grads[1], grads[0], 1e-5 * std::abs(grads[0]));
  EXPECT_NE(grads[0], 0.0);
}

TEST(LmHeadLoss, ManyChunksOnAFixtureEqualOne) {
  auto loaded = multimodal::load_model(data_path("hf-tiny-llava-clip-llama/base"));
  const auto file = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/inputs.safetensors"));
  const auto inputs = test::fixture_inputs(*file);
  torch::NoGradGuard no_grad;
  multimodal::ForwardOutput out;
  const auto hidden = loaded.model->decoder_hidden(inputs, out);
  int64_t count = 0;
  const auto one = loaded.model->next_token_loss_sum(hidden, inputs.labels, 0, &count);
  const auto many = loaded.model->next_token_loss_sum(hidden, inputs.labels, 3);
  const auto whole = multimodal::causal_lm_loss(loaded.model->lm_logits(hidden), inputs.labels) * count;
  EXPECT_GT(count, 3);
  EXPECT_NEAR(many.item<double>(), one.item<double>(), 1e-6 * one.item<double>());
  EXPECT_NEAR(one.item<double>(), whole.item<double>(), 1e-6 * whole.item<double>());
}

}  // namespace
}  // namespace vltune
