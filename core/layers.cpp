#include "core/layers.h"

#include "core/error.h"
#include "core/torch_compat.h"

namespace vltune {

namespace {
torch::TensorOptions options_for(torch::Dtype dtype) { return torch::TensorOptions().dtype(dtype); }

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
  switch (activation_kind(name, "activation")) {
    case ActivationKind::kGelu: return torch::gelu(x);
    case ActivationKind::kGeluTanh: return torch::gelu(x, "tanh");
    case ActivationKind::kQuickGelu: return x * torch::sigmoid(1.702 * x);
    case ActivationKind::kSilu: return torch::silu(x);
    case ActivationKind::kRelu: return torch::relu(x);
  }
  fail("activation: unhandled kind for '", name, "'");
}

}  // namespace vltune
