// The forward pass and ΔW every low-rank method shares (LoRA, VeRA; DoRA and DVoRA through
// WeightDecomposedAdapter): a method says what its update is as factors, ΔW = s·B·A, and
//   dropout 0:   y = W0 x + s·B A x + b          one autograd node (fused_low_rank_linear.h)
//   dropout p:   y = W0 x + s·B A x̃ + b,   x̃ = dropout(x)
//   ΔW = s·B A   (computed in fp32, or fp64 for fp64 factors)
// LoRA's factors are its trained A and B with s = alpha / r; VeRA's are the set's frozen shared A
// and diag(λ_b) B diag(λ_d) with s = 1, so λ_b and λ_d get their gradients through B.
#pragma once
#include "adapters/adapter.h"

namespace vltune::adapters {

struct LowRankFactors {
  torch::Tensor a;  // [r, in]; undefined when ΔW = 0 (magnitude-only)
  torch::Tensor b;  // [out, r]
  double scale = 1.0;
};

class LowRankAdapter : public Adapter {
 public:
  using Adapter::Adapter;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override;
  torch::Tensor delta_weight() override;

 protected:
  // The current factors, differentiable with respect to the method's parameters.
  virtual LowRankFactors factors() = 0;
};

}  // namespace vltune::adapters
