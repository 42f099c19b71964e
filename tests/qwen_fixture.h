// What the Qwen-family parity suites share (test_qwen2_5_vl.cpp, test_qwen2_vl.cpp): a fixture folder
// made by transformers + PEFT (base/, inputs.safetensors, expected.safetensors, adapter/), its inputs
// under transformers' names, loading on the test device, and the comparisons at the fixtures'
// tolerances: 1e-4 max abs on the CPU, 1e-3 with VLTUNE_TEST_DEVICE=cuda; losses 1e-5; gradients
// relative to each tensor's largest magnitude.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "adapters/adapter_set.h"
#include "adapters/peft_io.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune::test {

inline double qwen_tolerance() { return test_device().is_cpu() ? 1e-4 : 1e-3; }

struct QwenFixture {
  explicit QwenFixture(const std::string& name)
      : name(name),
        base(data_path(name + "/base")),
        inputs(safetensors::File::open(data_path(name + "/inputs.safetensors"))),
        expected(safetensors::File::open(data_path(name + "/expected.safetensors"))) {}

  std::string name, base;
  std::shared_ptr<safetensors::File> inputs, expected;

  // Every input the file holds, on `device`.
  multimodal::ForwardInputs forward_inputs(torch::Device device) const {
    auto in = fixture_inputs(*inputs, device);
    auto optional = [&](const char* key) { return inputs->find(key) ? inputs->tensor(key).to(device) : torch::Tensor(); };
    in.image_grid_thw = optional("image_grid_thw");
    in.pixel_values_videos = optional("pixel_values_videos");
    in.video_grid_thw = optional("video_grid_thw");
    in.second_per_grid_ts = optional("second_per_grid_ts");
    return in;
  }
  // transformers made the goldens with its default SDPA attention: a left pad sees no key and gets
  // zeros (language/decoder_arch.h EmptyRowRule).
  multimodal::LoadedModel load(const std::string& dir = "",
                               language::EmptyRowRule empty_rows = language::EmptyRowRule::kSdpa) const {
    multimodal::LoadOptions options;
    options.device = test_device();
    options.empty_rows = empty_rows;
    return multimodal::load_model(dir.empty() ? base : dir, options);
  }
  torch::Tensor want(const std::string& key) const { return expected->tensor(key); }
};

// Within qwen_tolerance() x `scale`; the measured difference goes into --gtest_output=xml.
inline void expect_close(const torch::Tensor& got, const torch::Tensor& want, const std::string& what,
                         double scale = 1.0) {
  ::testing::Test::RecordProperty(what, cat(max_abs_diff(got, want)));
  EXPECT_TENSORS_NEAR(got, want, qwen_tolerance() * scale) << what;
}

inline void expect_loss(const torch::Tensor& loss, const std::string& key, const QwenFixture& f) {
  const double diff = std::abs(loss.item<double>() - f.want(key).item<double>());
  ::testing::Test::RecordProperty(key, cat(diff));
  EXPECT_LT(diff, 1e-5) << key;
}

// Every adapter gradient of `set` (after backward) against grad.<PEFT in-memory name>; returns how
// many were compared.
inline std::size_t expect_peft_gradients(const adapters::AdapterSet& set, const QwenFixture& f) {
  std::size_t compared = 0;
  const auto& layout = adapters::peft_layout(true);
  for (const auto& entry : set.entries())
    for (const auto& [suffix, grad] : entry.adapter->file_gradients()) {
      const auto name = "grad." + peft_in_memory_name(adapters::peft_key(layout, entry.path, suffix));
      EXPECT_TRUE(f.expected->find(name)) << name;
      EXPECT_TRUE(grad.defined()) << name;
      if (!f.expected->find(name) || !grad.defined()) continue;
      const auto want = f.want(name);
      expect_close(grad, want, name, test::max_abs(want));
      ++compared;
    }
  return compared;
}

}  // namespace vltune::test
