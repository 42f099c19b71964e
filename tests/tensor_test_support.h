// Test helpers for suites that compare tensors (the model, adapter and generation suites).
#pragma once
#include <torch/torch.h>

#include <cstdlib>

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

}  // namespace vltune::test
