#include "analysis/weight_decomposition.h"

#include <cmath>

#include "core/error.h"

namespace vltune::analysis {

DecompositionChange decomposition_change(const torch::Tensor& base_weight, const torch::Tensor& weight, const std::string& what) {
  if (base_weight.dim() != 2 || weight.sizes() != base_weight.sizes())
    fail("[analyze] ", what, ": base weight ", base_weight.sizes(), " and adapted weight ", weight.sizes(),
         "; expected two matrices of one shape [out, in]");
  torch::NoGradGuard no_grad;
  const auto w0 = base_weight.detach().to(torch::kCPU, torch::kFloat64);
  const auto w = weight.detach().to(torch::kCPU, torch::kFloat64);
  const auto m0 = w0.norm(2, {1}), m = w.norm(2, {1});
  for (const auto& [norms, name] : {std::make_pair(m0, "base"), std::make_pair(m, "adapted")}) {
    const auto zero = (norms == 0).nonzero();
    if (zero.numel() > 0)
      fail("[analyze] ", what, ": row ", zero[0][0].item<int64_t>(), " of the ", name,
           " weight has zero norm, so its direction is undefined; expected non-zero rows");
  }
  const auto gap_squared = (w / m.unsqueeze(1) - w0 / m0.unsqueeze(1)).pow(2).sum(1);  // ‖d_n − d⁰_n‖²
  const auto angle = 2 * torch::asin((gap_squared.sqrt() / 2).clamp_max(1.0)) * (180.0 / M_PI);
  return {(m - m0).abs().mean().item<double>(), (gap_squared / 2).mean().item<double>(), (w - w0).norm().item<double>(),
          angle.mean().item<double>()};
}

}  // namespace vltune::analysis
