// The DoRA paper's (§3) weight-decomposition measures between a base weight W0 and an adapted
// weight W, both [out, in], over the output rows n:
//   m_n = ‖W_n‖₂ (the row's magnitude),  d_n = W_n / m_n (its direction)
//   ΔM = mean_n |m_n − m⁰_n|
//   ΔD = mean_n (1 − cos(W_n, W0_n)),  computed as ½‖d_n − d⁰_n‖² (the same value for unit
//        vectors, without the cancellation 1 − cos suffers for small changes)
//   ‖ΔW‖ = ‖W − W0‖_F (the size of the whole update, for the partial correlation that controls for it)
//   angle = mean_n ∠(W_n, W0_n) in degrees (how far the rows turned), computed as
//           2·asin(‖d_n − d⁰_n‖ / 2), exact for unit vectors and precise for small angles
// in float64 whatever the inputs' dtype.
#pragma once
#include <torch/torch.h>

#include <string>

namespace vltune::analysis {

struct DecompositionChange {
  double delta_m = 0;
  double delta_d = 0;
  double update_norm = 0;  // ‖W − W0‖_F
  double angle_deg = 0;    // mean row angle, degrees
};

// `what` names the weight in errors (a module path). Throws when the shapes differ, the weights
// are not 2-D, or a row of either has zero norm (its direction is undefined).
DecompositionChange decomposition_change(const torch::Tensor& base_weight, const torch::Tensor& weight, const std::string& what);

}  // namespace vltune::analysis
