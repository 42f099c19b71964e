// The building blocks every model is assembled from. Parameters are allocated uninitialised:
// a model is always filled from a checkpoint (load_strict) or by an explicit initialiser, so
// random init at construction would only waste time on large models.
#pragma once
#include <torch/torch.h>

#include "core/activation_names.h"

namespace vltune {

// What an adapter (adapters/) plugs into a Linear: it computes the layer's output from the input
// and the layer's frozen weight and bias, which it reads in place and never copies.
class LinearAdapter {
 public:
  virtual ~LinearAdapter() = default;
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) = 0;
};

// y = x Wᵀ + b. The one linear layer type in vltune, so that adapters have one slot to attach to.
struct LinearOptions {
  int64_t in_features;
  int64_t out_features;
  bool bias = true;
  torch::Dtype dtype = torch::kFloat32;
};

class LinearImpl : public torch::nn::Module {
 public:
  explicit LinearImpl(const LinearOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out], undefined without bias
  // The attached adapter, if any. Not owned: the adapter set that attached it detaches it before
  // it goes away (adapters/adapter_set.h).
  LinearAdapter* adapter = nullptr;
};
TORCH_MODULE(Linear);

// LayerNorm over the last dimension with affine weight and bias.
class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  double eps;
};
TORCH_MODULE(LayerNorm);

// RMSNorm as LLaMA computes it: normalise in fp32, cast back, then scale by the weight.
class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t num, int64_t dim, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::Tensor weight;  // [num, dim]
};
TORCH_MODULE(Embedding);

// Activation functions by their HF config names (quick_gelu, gelu, gelu_pytorch_tanh, silu, ...).
torch::Tensor activation(const std::string& name, const torch::Tensor& x);

}  // namespace vltune
