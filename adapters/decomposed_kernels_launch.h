// decomposed_elementwise.h's work on vltune's CUDA kernels (adapters/decomposed_kernels.h), for
// tensors they take: CUDA, contiguous, fp32/fp16/bf16, the fp32 ones fp32. Built from
// decomposed_kernels_launch.cpp where vltune has its CUDA kernels, else from
// decomposed_kernels_absent.cpp; each function returns nothing (false) where it did no work, and
// decomposed_elementwise.cpp then uses ATen.
#pragma once
#include <torch/torch.h>

#include <optional>

#include "adapters/decomposed_elementwise.h"

namespace vltune::adapters::kernels {

std::optional<ScaledOutput> scale_columns(const torch::Tensor& z, const torch::Tensor& g, const torch::Tensor& bias);
std::optional<ScaledGradients> scale_columns_backward(const torch::Tensor& dy, const torch::Tensor& g, const torch::Tensor& scaled,
                                                      const torch::Tensor& divisor);
bool write_scales(const torch::Tensor& base_sq, const FactoredNormParts& parts, const torch::Tensor& magnitude, torch::Tensor& norm,
                  torch::Tensor& g, torch::Tensor& divisor);

}  // namespace vltune::adapters::kernels
