#include "adapters/full.h"

#include "core/error.h"

namespace vltune::adapters {

FullAdapter::FullAdapter(Linear base, AdapterSpec spec) : Adapter(std::move(base), spec) {
  delta = register_parameter("delta", torch::zeros(base_->weight.sizes(), param_options()));
}

torch::Tensor FullAdapter::forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return torch::nn::functional::linear(x, weight + delta.to(weight.scalar_type()), bias);
}

FileTensors FullAdapter::file_tensors() {
  torch::NoGradGuard no_grad;
  return {{"weight", base_->weight.to(torch::kFloat32) + delta}};
}

void FullAdapter::load_file_tensor(const std::string& suffix, const torch::Tensor& value, const std::string& where) {
  if (suffix != "weight") fail(where, ": '", suffix, "' is not a tensor of a full adapter (expected: weight)");
  if (value.sizes() != delta.sizes())
    fail(where, ": 'weight' has shape ", value.sizes(), " but the module's weight is ", delta.sizes());
  torch::NoGradGuard no_grad;
  delta.copy_(value.to(torch::kFloat32) - base_->weight.to(torch::kFloat32));
}

}  // namespace vltune::adapters
