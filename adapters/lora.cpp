#include "adapters/lora.h"

#include <cmath>

namespace vltune::adapters {

torch::Tensor kaiming_uniform_a_sqrt5(int64_t rows, int64_t cols, torch::Generator& generator) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(cols));
  return torch::empty({rows, cols}, torch::kFloat32).uniform_(-bound, bound, generator);
}

LoraAdapter::LoraAdapter(Linear base, AdapterSpec spec, torch::Generator& generator)
    : LowRankAdapter(std::move(base), spec) {
  lora_a = register_parameter("lora_A", kaiming_uniform_a_sqrt5(spec.rank, base_->in_features(), generator).to(param_options()));
  lora_b = register_parameter("lora_B", torch::zeros({base_->out_features(), spec.rank}, param_options()));
}

}  // namespace vltune::adapters
