#include "adapters/dora.h"

#include "adapters/lora.h"

namespace vltune::adapters {

DoraAdapter::DoraAdapter(Linear base, AdapterSpec spec, torch::Generator& generator)
    : WeightDecomposedAdapter(std::move(base), spec) {
  lora_a = register_parameter("lora_A", kaiming_uniform_a_sqrt5(spec.rank, base_->in_features(), generator).to(param_options()));
  lora_b = register_parameter("lora_B", torch::zeros({base_->out_features(), spec.rank}, param_options()));
  init_magnitude();
}

}  // namespace vltune::adapters
