// The DoRA family (paper Eq. 5): W' = m ⊙ (W0 + ΔW) / ‖W0 + ΔW‖, norms per output row.
// Subclasses say what the direction update is, as low-rank factors ΔW = s·B·A (DoRA: trained A, B;
// DVoRA: VeRA's scaled shared projections; magnitude: none, ΔW = 0).
//
// Training forward, as PEFT computes it, with g = m / ‖W0 + ΔW‖ and the norm detached (paper §4.3)
// unless norm_grad:
//   dropout 0:   y = g ⊙ (W0 x + s·B A x) + b
//   dropout p:   y = W0 x + b + (g − 1) ⊙ W0 x̃ + g ⊙ s·B A x̃,   x̃ = dropout(x)
// With dropout 0 and the norm detached this is one autograd node (fused_low_rank_linear.h).
// The norm is factored (weight_norm.h), never W0 + ΔW; in eval mode it is cached until a
// parameter or the base weight changes.
#pragma once
#include "adapters/adapter.h"

namespace vltune::adapters {

struct LowRankFactors {
  torch::Tensor a;  // [r, in]; undefined when ΔW = 0
  torch::Tensor b;  // [out, r]
  double scale = 1.0;
};

class WeightDecomposedAdapter : public Adapter {
 public:
  WeightDecomposedAdapter(Linear base, AdapterSpec spec);

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override;
  torch::Tensor delta_weight() override;
  torch::Tensor magnitude_scale() override;  // g = m / ‖W0 + ΔW‖ (detached unless norm_grad)
  torch::Tensor weight_norm();                // ‖W0 + ΔW‖ per row, fp32
  // ‖W0 + ΔW‖ outside autograd: computed each call in training, cached in eval mode.
  torch::Tensor detached_norm();

  torch::Tensor magnitude;  // m [out], trainable

 protected:
  virtual LowRankFactors factors() = 0;
  // Sets m to ‖W0 + ΔW‖ (the identity at initialisation). Call once the factors exist.
  void init_magnitude();

 private:
  torch::Tensor base_sq_;  // ‖W0ᵢ‖², fp32
  torch::Tensor cached_norm_;
  std::vector<int64_t> cache_key_;  // parameter and base-weight versions the cache was made at
  std::vector<int64_t> current_versions();
};

}  // namespace vltune::adapters
