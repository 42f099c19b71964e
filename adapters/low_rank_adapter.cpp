#include "adapters/low_rank_adapter.h"

#include "adapters/fused_low_rank_linear.h"
#include "adapters/low_rank.h"

namespace vltune::adapters {

torch::Tensor LowRankAdapter::forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const auto f = factors();
  if (!f.a.defined()) return torch::nn::functional::linear(x, weight, bias);
  const auto xd = dropout(x);
  if (xd.is_same(x)) return fused_low_rank_linear(x, weight, bias, f.a, f.b, f.scale);
  auto y = linear_plus(x, weight, low_rank_update(xd, f.a, f.b, f.scale));
  return bias.defined() ? y.add_(bias) : y;
}

torch::Tensor LowRankAdapter::delta_weight() {
  const auto f = factors();
  if (!f.a.defined()) return torch::zeros_like(base_->weight, torch::kFloat32);
  // fp32 (the masters' dtype) unless the factors are wider (the fp64 gradient checks).
  const auto dtype = torch::promote_types(torch::kFloat32, torch::promote_types(f.a.scalar_type(), f.b.scalar_type()));
  return f.scale * torch::matmul(f.b.to(dtype), f.a.to(dtype));
}

}  // namespace vltune::adapters
