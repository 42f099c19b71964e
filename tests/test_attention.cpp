// The decoder's attention fast paths against their plain definitions: the mask's decisions (plain
// causal or not, which query rows see no key) against a brute force over the additive mask; causal
// and grouped-query attention without a mask or copies against the explicit mask over repeated heads;
// the fused RMSNorm against its formula; and a forward with the ids, mask and labels left on the
// host against one with them on the model's device. VLTUNE_TEST_DEVICE=cuda runs them on the GPU.
#include "core/safetensors.h"
#include "core/torch_compat.h"
#include "language/llama.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using test::test_device;

double tolerance() { return test_device().is_cpu() ? 1e-5 : 1e-3; }

// Rows of the additive mask [B, 1, Lq, Lk] where every key is excluded: [B, Lq].
torch::Tensor rows_without_keys(const torch::Tensor& additive) {
  return (additive.squeeze(1) == 0).any(-1).logical_not();
}

TEST(AttentionMask, OnlyCausalityGivesNoMaskAtAll) {
  const auto all_real = torch::ones({2, 7}, torch::kInt64);
  EXPECT_TRUE(language::build_attention_mask(all_real, std::nullopt, torch::kFloat32).plain_causal());
  EXPECT_TRUE(language::build_attention_mask(all_real, 7, torch::kFloat32).plain_causal());  // window covers all
  EXPECT_FALSE(language::build_attention_mask(all_real, 6, torch::kFloat32).plain_causal());
  EXPECT_FALSE(language::build_attention_mask(all_real, std::nullopt, torch::kFloat32, /*past=*/3).plain_causal());
  auto padded = all_real.clone();
  padded[1][6] = 0;
  EXPECT_FALSE(language::build_attention_mask(padded, std::nullopt, torch::kFloat32).plain_causal());
}

TEST(AttentionMask, EmptyRowsAreTheRowsWithoutKeys) {
  torch::manual_seed(3);
  const int64_t length = 12;
  for (const std::optional<int64_t> window : {std::optional<int64_t>(), std::optional<int64_t>(3)}) {
    for (const int64_t past : {0, 5}) {
      // Left padding of 0, 2, .., 10 positions per row, and a few holes inside.
      auto mask = (torch::rand({6, length}) > 0.2).to(torch::kInt64);
      for (int64_t b = 0; b < 6; ++b) mask[b].narrow(0, 0, 2 * b).fill_(0);
      const auto built = language::build_attention_mask(mask, window, torch::kFloat32, past);
      ASSERT_FALSE(built.plain_causal());
      const auto expected = rows_without_keys(built.additive);
      ASSERT_TRUE(expected.any().item<bool>()) << "the case should have rows without keys";
      ASSERT_TRUE(built.empty_rows.defined());
      EXPECT_TRUE(torch::equal(built.empty_rows.view({6, -1}), expected))
          << "window " << window.value_or(-1) << ", past " << past;
    }
  }
  const auto right_padded = torch::tensor({1, 1, 1, 0, 0}, torch::kInt64).view({1, -1});
  EXPECT_FALSE(language::build_attention_mask(right_padded, std::nullopt, torch::kFloat32).empty_rows.defined());
}

TEST(Attention, CausalGroupedEqualsTheExplicitMaskOverRepeatedHeads) {
  torch::manual_seed(4);
  const auto options = torch::TensorOptions().device(test_device());
  const auto q = torch::randn({2, 8, 9, 16}, options), k = torch::randn({2, 2, 9, 16}, options);
  const auto v = torch::randn({2, 2, 9, 16}, options);
  const double scale = 0.25;
  const auto fast = compat::scaled_dot_product_attention(q, k, v, std::nullopt, scale, /*causal=*/true);

  const auto future = torch::ones({9, 9}, options.dtype(torch::kBool)).triu(1);
  const auto additive = torch::zeros({9, 9}, options).masked_fill(future, std::numeric_limits<float>::lowest());
  auto scores = torch::matmul(q, k.repeat_interleave(4, 1).transpose(-2, -1)) * scale + additive;
  const auto reference = torch::matmul(torch::softmax(scores, -1), v.repeat_interleave(4, 1));
  EXPECT_TENSORS_NEAR(fast, reference, tolerance());
}

TEST(Attention, FusedRmsNormEqualsItsFormula) {
  torch::manual_seed(5);
  const auto x = torch::randn({3, 5, 32}, torch::TensorOptions().device(test_device())) * 3;
  const auto formula = x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + 1e-6);
  EXPECT_TENSORS_NEAR(compat::rms_normalize(x, 1e-6), formula, 1e-5);
}

// The inputs a trainer keeps on the host (pinned on a GPU machine) give the same logits and loss as
// the same inputs on the model's device: the left-padded fixture takes the explicit-mask path with
// empty rows, the LLaVA one the plain causal path with image tokens.
TEST(Attention, HostInputsEqualDeviceInputs) {
  for (const std::string name : {"hf-tiny-llama3-text", "hf-tiny-llava-clip-llama"}) {
    const auto device = test_device();
    multimodal::LoadOptions options;
    options.device = device;
    auto loaded = multimodal::load_model(test::data_path(name + "/base"), options);
    const auto inputs = safetensors::File::open(test::data_path(name + "/inputs.safetensors"));
    multimodal::ForwardInputs host;
    host.input_ids = inputs->tensor("input_ids");
    host.attention_mask = inputs->tensor("attention_mask");
    host.labels = inputs->tensor("labels");
    if (inputs->find("pixel_values")) host.pixel_values = inputs->tensor("pixel_values").to(device);
    auto on_device = host;
    on_device.input_ids = host.input_ids.to(device);
    on_device.attention_mask = host.attention_mask.to(device);
    on_device.labels = host.labels.to(device);
    torch::NoGradGuard no_grad;
    const auto a = loaded.model->forward(host), b = loaded.model->forward(on_device);
    EXPECT_TENSORS_NEAR(a.logits, b.logits, 0.0) << name;
    EXPECT_EQ(a.loss.item<double>(), b.loss.item<double>()) << name;
  }
}

}  // namespace
}  // namespace vltune
