// The DoRA family's per-column scale g over a linear's output z [..., out] and its backward (the
// math: adapters/fused_low_rank_linear.h). Where vltune was built with its CUDA kernels
// (adapters/decomposed_kernels.h) and the tensors are contiguous CUDA fp32/fp16/bf16, one kernel does
// each (adapters/decomposed_kernels_launch.h); otherwise ATen's operations do, with the same
// rounding of g ⊙ z and dy ⊙ g.
#pragma once
#include <torch/torch.h>

#include "adapters/weight_norm.h"

namespace vltune::adapters {

struct ScaledOutput {
  torch::Tensor scaled;  // g ⊙ z, in z's storage
  torch::Tensor y;       // scaled + bias; `scaled` itself without a bias
};
ScaledOutput scale_columns(torch::Tensor z, const torch::Tensor& g, const torch::Tensor& bias);

struct ScaledGradients {
  torch::Tensor h;               // dy ⊙ g
  torch::Tensor magnitude_grad;  // Σ over rows of dy ⊙ scaled, divided by `divisor` [out], in divisor's dtype
};
// dy and scaled are [rows, out] and g is [out], all of one dtype; divisor is [out] (DoRA's m, 1 where m = 0).
ScaledGradients scale_columns_backward(const torch::Tensor& dy, const torch::Tensor& g, const torch::Tensor& scaled,
                                       const torch::Tensor& divisor);

// A DoRA adapter's scales for the step, into its buffers (norm and divisor in the magnitude's dtype,
// g in the model's): norm = √max(‖W0ᵢ‖² + Bᵢ · mixedᵢ, 0) from `parts` (√base_sq where they are
// undefined: magnitude only), g = m / norm, divisor = m with 1 where m = 0. One kernel on CUDA.
void write_scales(const torch::Tensor& base_sq, const FactoredNormParts& parts, const torch::Tensor& magnitude,
                  torch::Tensor& norm, torch::Tensor& g, torch::Tensor& divisor);

}  // namespace vltune::adapters
