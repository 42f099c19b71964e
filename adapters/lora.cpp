#include "adapters/lora.h"

#include <cmath>

#include "adapters/fused_low_rank_linear.h"
#include "adapters/low_rank.h"

namespace vltune::adapters {

torch::Tensor kaiming_uniform_a_sqrt5(int64_t rows, int64_t cols, torch::Generator& generator) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(cols));
  return torch::empty({rows, cols}, torch::kFloat32).uniform_(-bound, bound, generator);
}

LoraAdapter::LoraAdapter(Linear base, AdapterSpec spec, torch::Generator& generator)
    : Adapter(std::move(base), spec) {
  lora_a = register_parameter("lora_A", kaiming_uniform_a_sqrt5(spec.rank, base_->in_features(), generator).to(param_options()));
  lora_b = register_parameter("lora_B", torch::zeros({base_->out_features(), spec.rank}, param_options()));
}

torch::Tensor LoraAdapter::forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const auto xd = dropout(x);
  if (xd.is_same(x)) return fused_low_rank_linear(x, weight, bias, lora_a, lora_b, spec_.scaling());
  auto y = linear_plus(x, weight, low_rank_update(xd, lora_a, lora_b, spec_.scaling()));
  return bias.defined() ? y.add_(bias) : y;
}

torch::Tensor LoraAdapter::delta_weight() { return spec_.scaling() * torch::matmul(lora_b, lora_a); }

}  // namespace vltune::adapters
