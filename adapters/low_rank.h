// The two products every low-rank adapter needs, written so they cost as little as possible:
//   low_rank_update(x, A, B, s) = s · B A x   (the scale applied to the r-wide bottleneck)
//   linear_plus(x, W, u)        = x Wᵀ + u     (one GEMM accumulating into u, no extra pass)
// and as_rows(t): t [..., n] as the [tokens, n] matrix the backward nodes' GEMMs take.
#pragma once
#include <torch/torch.h>

namespace vltune::adapters {

inline torch::Tensor low_rank_update(const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& b, double scale) {
  namespace F = torch::nn::functional;
  return F::linear(F::linear(x, a.to(x.scalar_type())) * scale, b.to(x.scalar_type()));
}

inline torch::Tensor as_rows(const torch::Tensor& t) { return t.reshape({-1, t.size(-1)}); }

inline torch::Tensor linear_plus(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& update) {
  auto flat = torch::addmm(as_rows(update), as_rows(x), weight.t());
  return flat.view(update.sizes());
}

}  // namespace vltune::adapters
