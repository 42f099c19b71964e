// Test helpers for suites that compare tensors (the model, adapter and generation suites).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/atomic_file.h"
#include "core/safetensors.h"
#include "multimodal/llava.h"
#include "test_support.h"

namespace vltune::test {

// VLTUNE_TEST_DEVICE=cuda runs the model suites on the GPU.
inline torch::Device test_device() {
  const char* name = std::getenv("VLTUNE_TEST_DEVICE");
  return torch::Device(name && *name ? name : "cpu");
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU, torch::kFloat64) - b.to(torch::kCPU, torch::kFloat64)).abs().max().item<double>();
}

// The largest |x| of `t`: the scale of a relative tolerance.
inline double max_abs(const torch::Tensor& t) { return t.to(torch::kCPU, torch::kFloat64).abs().max().item<double>(); }

// The one tensor comparison of the suites: same shape, and max |a - b| <= tolerance (in fp64 on
// the CPU; a NaN anywhere fails). A failure names both tensors as the test wrote them, the
// difference and the tolerance. Use it through EXPECT_TENSORS_NEAR / ASSERT_TENSORS_NEAR.
inline ::testing::AssertionResult tensors_near(const char* a_text, const char* b_text, const char* tolerance_text,
                                               const torch::Tensor& a, const torch::Tensor& b, double tolerance) {
  if (a.sizes() != b.sizes())
    return ::testing::AssertionFailure() << a_text << " is " << a.sizes() << " but " << b_text << " is " << b.sizes();
  const double diff = max_abs_diff(a, b);
  if (diff <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |" << a_text << " - " << b_text << "| = " << diff << ", above "
                                       << tolerance_text << " = " << tolerance;
}
#define EXPECT_TENSORS_NEAR(a, b, tolerance) EXPECT_PRED_FORMAT3(::vltune::test::tensors_near, a, b, tolerance)
#define ASSERT_TENSORS_NEAR(a, b, tolerance) ASSERT_PRED_FORMAT3(::vltune::test::tensors_near, a, b, tolerance)

// A fixture's inputs.safetensors as forward() inputs on `device`: input_ids, attention_mask and
// labels, and pixel_values when the file holds them (named fields: the struct grows by family).
inline multimodal::ForwardInputs fixture_inputs(const safetensors::File& file, torch::Device device = torch::kCPU) {
  multimodal::ForwardInputs in;
  in.input_ids = file.tensor("input_ids").to(device);
  in.attention_mask = file.tensor("attention_mask").to(device);
  in.labels = file.tensor("labels").to(device);
  if (file.find("pixel_values")) in.pixel_values = file.tensor("pixel_values").to(device);
  return in;
}

// Rewrites `src`'s checkpoint into `dst` with renamed keys, a dtype and a number of shards.
inline void rewrite_checkpoint(const std::string& src, const std::string& dst,
                        const std::function<std::string(const std::string&)>& rename, torch::Dtype dtype, int shards) {
  std::filesystem::copy_file(src + "/config.json", dst + "/config.json");
  const auto file = safetensors::File::open(src + "/model.safetensors");
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> parts(shards);
  nlohmann::json weight_map;
  for (std::size_t i = 0; i < file->tensors().size(); ++i) {
    const auto& info = file->tensors()[i];
    const int shard = static_cast<int>(i % shards);
    parts[shard].emplace_back(rename(info.name), file->tensor(info.name).to(dtype));
    weight_map[rename(info.name)] = cat("model-", shard, ".safetensors");
  }
  if (shards == 1) {
    safetensors::write_file(dst + "/model.safetensors", parts[0]);
    return;
  }
  for (int shard = 0; shard < shards; ++shard)
    safetensors::write_file(cat(dst, "/model-", shard, ".safetensors"), parts[shard]);
  write_file_atomically(dst + "/model.safetensors.index.json", nlohmann::json{{"weight_map", weight_map}}.dump());
}

}  // namespace vltune::test
