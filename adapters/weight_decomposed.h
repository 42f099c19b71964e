// The DoRA family (paper Eq. 5): W' = m ⊙ (W0 + ΔW) / ‖W0 + ΔW‖, norms per output row.
// Subclasses say what the direction update is, as low-rank factors ΔW = s·B·A (DoRA: trained A, B;
// DVoRA: VeRA's scaled shared projections; magnitude: none, ΔW = 0).
//
// Training forward, as PEFT computes it, with g = m / ‖W0 + ΔW‖ and the norm detached (paper §4.3)
// unless norm_grad:
//   dropout 0:   y = g ⊙ (W0 x + s·B A x) + b
//   dropout p:   y = W0 x + b + (g − 1) ⊙ W0 x̃ + g ⊙ s·B A x̃,   x̃ = dropout(x)
// With dropout 0 and the norm detached this is one autograd node (fused_low_rank_linear.h).
// The norm is factored (weight_norm.h), never W0 + ΔW; it and g are kept until a parameter or the
// base weight changes.
#pragma once
#include "adapters/low_rank_adapter.h"
#include "adapters/weight_norm.h"

namespace vltune::adapters {

// What the fused node needs besides the factors, for the current parameters, outside autograd.
struct DecomposedScales {
  torch::Tensor norm;               // ‖W0 + ΔW‖ per row, in the magnitude's dtype (fp32) [out]
  torch::Tensor g;                  // m / norm, in the base weight's dtype [out]
  torch::Tensor magnitude_divisor;  // m, 1 where m = 0: the magnitude gradient's divisor [out]
};

class WeightDecomposedAdapter : public LowRankAdapter {
 public:
  WeightDecomposedAdapter(Linear base, AdapterSpec spec);

  // ΔW is LowRankAdapter's; the forward pass adds the magnitude.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override;
  torch::Tensor magnitude_scale() override;  // g = m / ‖W0 + ΔW‖ (detached unless norm_grad)
  torch::Tensor weight_norm();                // ‖W0 + ΔW‖ per row, fp32
  torch::Tensor detached_norm() { return detached_scales().norm; }

  // The scales for the current parameters: kept in buffers until a parameter or the base weight
  // changes (their versions), then computed again. AdapterSet::refresh_scales() brings all of a
  // set's up to date at once, on CUDA as one graph replay; otherwise each adapter computes its own.
  const DecomposedScales& detached_scales();
  bool scales_fresh();
  void compute_scales();      // into the buffers, whatever their state (no autograd)
  void mark_scales_fresh();   // the buffers now hold the current parameters' scales
  // The storage compute_scales() reads and writes (allocating the buffers if need be): what a
  // captured replay of it depends on.
  std::vector<const void*> scale_storage();

  torch::Tensor magnitude;  // m [out], trainable

 protected:
  // Sets m to ‖W0 + ΔW‖ (the identity at initialisation). Call once the factors exist.
  void init_magnitude();

 private:
  torch::Tensor base_sq_;  // ‖W0ᵢ‖², fp32
  DecomposedScales scales_;
  std::vector<int64_t> scales_key_;  // parameter and base-weight versions the scales were made at
  std::vector<int64_t> current_versions();
  bool scale_buffers_match() const;  // allocated, on the base's and the magnitude's device and dtype
  void allocate_scale_buffers();     // (again) when they do not match
  FactoredNormParts norm_parts();    // of this step's factors; empty without A (magnitude only)
};

}  // namespace vltune::adapters
