#include "adapters/weight_decomposed.h"

#include "adapters/decomposed_elementwise.h"
#include "adapters/fused_low_rank_linear.h"
#include "adapters/low_rank.h"
#include "adapters/weight_norm.h"

namespace vltune::adapters {

WeightDecomposedAdapter::WeightDecomposedAdapter(Linear base, AdapterSpec spec) : LowRankAdapter(std::move(base), spec) {
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

FactoredNormParts WeightDecomposedAdapter::norm_parts() {
  const auto f = factors();
  return f.a.defined() ? factored_norm_parts(base_->weight, f.a, f.b, f.scale) : FactoredNormParts{};
}

torch::Tensor WeightDecomposedAdapter::weight_norm() { return norm_from_parts(base_sq_, norm_parts()); }

bool WeightDecomposedAdapter::scale_buffers_match() const {
  const auto& weight = base_->weight;
  return scales_.g.defined() && scales_.g.device() == weight.device() && scales_.g.scalar_type() == weight.scalar_type() &&
         scales_.norm.device() == magnitude.device() && scales_.norm.scalar_type() == magnitude.scalar_type();
}

void WeightDecomposedAdapter::allocate_scale_buffers() {
  if (scale_buffers_match()) return;
  const auto like_magnitude = magnitude.options().requires_grad(false);
  scales_.norm = torch::empty_like(magnitude, like_magnitude);
  scales_.magnitude_divisor = torch::empty_like(magnitude, like_magnitude);
  scales_.g = torch::empty({magnitude.size(0)}, base_->weight.options().requires_grad(false));
  scales_key_.clear();
}

std::vector<const void*> WeightDecomposedAdapter::scale_storage() {
  allocate_scale_buffers();
  std::vector<const void*> storage{base_->weight.data_ptr(), base_sq_.data_ptr(), scales_.norm.data_ptr(), scales_.g.data_ptr(),
                                   scales_.magnitude_divisor.data_ptr()};
  // DVoRA's shared projections are not listed: a set's stay where they are while it lives, and a
  // move of the model to another device shows in the base weight's pointer.
  for (const auto& p : parameters()) storage.push_back(p.data_ptr());
  return storage;
}

void WeightDecomposedAdapter::compute_scales() {
  torch::NoGradGuard no_grad;
  allocate_scale_buffers();
  write_scales(base_sq_, norm_parts(), magnitude, scales_.norm, scales_.g, scales_.magnitude_divisor);
}

void WeightDecomposedAdapter::mark_scales_fresh() { scales_key_ = current_versions(); }

bool WeightDecomposedAdapter::scales_fresh() {
  return scale_buffers_match() && !scales_key_.empty() && scales_key_ == current_versions();
}

const DecomposedScales& WeightDecomposedAdapter::detached_scales() {
  if (!scales_fresh()) {
    compute_scales();
    mark_scales_fresh();
  }
  return scales_;
}

torch::Tensor WeightDecomposedAdapter::magnitude_scale() {
  if (spec_.norm_grad && is_training()) return magnitude / weight_norm();
  return magnitude / detached_norm();
}

torch::Tensor WeightDecomposedAdapter::forward(const torch::Tensor& x, const torch::Tensor& weight,
                                               const torch::Tensor& bias) {
  namespace F = torch::nn::functional;
  const auto f = factors();
  const auto xd = dropout(x);
  if (f.a.defined() && xd.is_same(x) && !(spec_.norm_grad && is_training())) {
    const auto& scales = detached_scales();
    return fused_low_rank_linear(x, weight, bias, f.a, f.b, f.scale, magnitude, scales.g, scales.magnitude_divisor);
  }
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
