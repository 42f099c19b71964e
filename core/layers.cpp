#include "core/layers.h"

#include <functional>
#include <map>

#include "core/error.h"
#include "core/torch_compat.h"

namespace vltune {

namespace {
torch::TensorOptions options_for(torch::Dtype dtype) { return torch::TensorOptions().dtype(dtype); }

const std::map<std::string, std::function<torch::Tensor(const torch::Tensor&)>>& activations() {
  static const std::map<std::string, std::function<torch::Tensor(const torch::Tensor&)>> table = {
      {"gelu", [](const torch::Tensor& x) { return torch::gelu(x); }},
      {"gelu_pytorch_tanh", [](const torch::Tensor& x) { return torch::gelu(x, "tanh"); }},
      {"gelu_new", [](const torch::Tensor& x) { return torch::gelu(x, "tanh"); }},
      {"quick_gelu", [](const torch::Tensor& x) { return x * torch::sigmoid(1.702 * x); }},
      {"silu", [](const torch::Tensor& x) { return torch::silu(x); }},
      {"swish", [](const torch::Tensor& x) { return torch::silu(x); }},
      {"relu", [](const torch::Tensor& x) { return torch::relu(x); }},
  };
  return table;
}
}  // namespace

LinearImpl::LinearImpl(const LinearOptions& o) {
  weight = register_parameter("weight", torch::empty({o.out_features, o.in_features}, options_for(o.dtype)));
  if (o.bias) bias = register_parameter("bias", torch::empty({o.out_features}, options_for(o.dtype)));
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  if (adapter) return adapter->forward(x, weight, bias);
  return torch::nn::functional::linear(x, weight, bias);
}

LayerNormImpl::LayerNormImpl(int64_t dim, double eps_, torch::Dtype dtype) : eps(eps_) {
  weight = register_parameter("weight", torch::empty({dim}, options_for(dtype)));
  bias = register_parameter("bias", torch::empty({dim}, options_for(dtype)));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {weight.size(0)}, weight, bias, eps);
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, torch::Dtype dtype) : eps(eps_) {
  weight = register_parameter("weight", torch::empty({dim}, options_for(dtype)));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  return weight * compat::rms_normalize(x.to(torch::kFloat32), eps).to(x.scalar_type());
}

EmbeddingImpl::EmbeddingImpl(int64_t num, int64_t dim, torch::Dtype dtype) {
  weight = register_parameter("weight", torch::empty({num, dim}, options_for(dtype)));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

torch::Tensor activation(const std::string& name, const torch::Tensor& x) {
  auto it = activations().find(name);
  if (it == activations().end()) check_activation_name(name, "activation");
  return it->second(x);
}

void check_activation_name(const std::string& name, const std::string& where) {
  if (activations().count(name)) return;
  std::string known;
  for (const auto& entry : activations()) known += (known.empty() ? "" : ", ") + entry.first;
  fail(where, ": unknown activation '", name, "' (known: ", known, ")");
}

}  // namespace vltune
