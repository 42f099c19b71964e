#include "adapters/weight_decomposed.h"

#include "adapters/fused_low_rank_linear.h"
#include "adapters/low_rank.h"
#include "adapters/weight_norm.h"

namespace vltune::adapters {

WeightDecomposedAdapter::WeightDecomposedAdapter(Linear base, AdapterSpec spec) : Adapter(std::move(base), spec) {
  base_sq_ = squared_row_norms(base_->weight);
  magnitude = register_parameter("magnitude", torch::ones({base_->out_features()}, param_options()));
}

void WeightDecomposedAdapter::init_magnitude() {
  torch::NoGradGuard no_grad;
  magnitude.copy_(weight_norm());
}

std::vector<int64_t> WeightDecomposedAdapter::current_versions() {
  std::vector<int64_t> versions{static_cast<int64_t>(base_->weight._version())};
  for (const auto& p : parameters()) versions.push_back(static_cast<int64_t>(p._version()));
  return versions;
}

torch::Tensor WeightDecomposedAdapter::weight_norm() {
  const auto f = factors();
  if (!f.a.defined()) return base_sq_.sqrt();
  return factored_row_norm(base_->weight, base_sq_, f.a, f.b, f.scale);
}

torch::Tensor WeightDecomposedAdapter::detached_norm() {
  torch::NoGradGuard no_grad;
  if (is_training()) return weight_norm();
  auto versions = current_versions();
  if (!cached_norm_.defined() || versions != cache_key_) {
    cached_norm_ = weight_norm();
    cache_key_ = std::move(versions);
  }
  return cached_norm_;
}

torch::Tensor WeightDecomposedAdapter::magnitude_scale() {
  if (spec_.norm_grad && is_training()) return magnitude / weight_norm();
  return magnitude / detached_norm();
}

torch::Tensor WeightDecomposedAdapter::delta_weight() {
  const auto f = factors();
  if (!f.a.defined()) return torch::zeros_like(base_->weight, torch::kFloat32);
  return f.scale * torch::matmul(f.b.to(torch::kFloat32), f.a.to(torch::kFloat32));
}

torch::Tensor WeightDecomposedAdapter::forward(const torch::Tensor& x, const torch::Tensor& weight,
                                               const torch::Tensor& bias) {
  namespace F = torch::nn::functional;
  const auto f = factors();
  const auto xd = dropout(x);
  if (f.a.defined() && xd.is_same(x) && !(spec_.norm_grad && is_training()))
    return fused_low_rank_linear(x, weight, bias, f.a, f.b, f.scale, magnitude, detached_norm());
  const auto g = magnitude_scale().to(x.scalar_type());
  torch::Tensor y;
  if (!f.a.defined()) {
    y = g * F::linear(x, weight);
  } else if (xd.is_same(x)) {
    y = g * linear_plus(x, weight, low_rank_update(x, f.a, f.b, f.scale));
  } else {
    auto base = F::linear(x, weight);
    y = base + (g - 1) * F::linear(xd, weight) + g * low_rank_update(xd, f.a, f.b, f.scale);
  }
  // In place: the multiplication's backward needs its inputs, not y.
  return bias.defined() ? y.add_(bias) : y;
}

}  // namespace vltune::adapters
