// The adapter interface shared by every method, and what a rule says about one adapted module.
//
// An adapter wraps one frozen Linear (W0 [out, in], bias b) by reference and computes its output
//   y = W' x + b,   W' = g ⊙ (W0 + ΔW)   (g = 1 for methods without a magnitude)
// without forming W' during training. merged_weight() forms it, for merge, export and analysis.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "core/layers.h"

namespace vltune::adapters {

enum class Method { kLora, kDora, kMagnitude, kVera, kDvora, kFull };

std::string method_name(Method method);                              // "lora", "dora", ...
Method parse_method(const std::string& name, const std::string& where);  // throws listing methods

struct AdapterSpec {
  Method method = Method::kLora;
  int64_t rank = 8;
  double alpha = 16;
  double dropout = 0;
  bool rslora = false;     // s = alpha / sqrt(rank) instead of alpha / rank
  bool norm_grad = false;  // DoRA / DVoRA: keep the gradient through the weight norm
  double d_initial = 0.1;  // VeRA / DVoRA: initial lambda_d
  double scaling() const;
};

// The largest rank accepted from an adapter file or a recipe: far above useful ranks, far below
// one whose matrices would exhaust memory, so "r": 100000000 is refused before any allocation.
inline constexpr int64_t kMaxAdapterRank = 1 << 14;
// Throws "<where>: rank R must be between 1 and kMaxAdapterRank".
void check_rank(int64_t rank, const std::string& where);

// A named tensor as it appears in a PEFT adapter file, after "<module>.": "lora_A.weight", ...
using FileTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class Adapter : public torch::nn::Module, public LinearAdapter {
 public:
  Adapter(Linear base, AdapterSpec spec);

  // ΔW [out, in] and, for the DoRA family, g = m / ‖W0 + ΔW‖ [out] (undefined otherwise).
  virtual torch::Tensor delta_weight() = 0;
  virtual torch::Tensor magnitude_scale() { return {}; }
  torch::Tensor merged_weight();  // g ⊙ (W0 + ΔW), in W0's dtype

  // The tensors this adapter saves, keyed by their PEFT suffix; loading copies a file's tensor
  // into the one of the same suffix (`where` names the file and key for errors).
  virtual FileTensors file_tensors() = 0;
  virtual void load_file_tensor(const std::string& suffix, const torch::Tensor& value, const std::string& where);
  // The gradient of the loss for each file tensor (undefined where none was computed).
  virtual FileTensors file_gradients();

  // Writes W' into the base weight (the layer then runs without the adapter) and back.
  void merge();
  void unmerge();
  bool merged() const { return merged_; }

  const AdapterSpec& spec() const { return spec_; }
  Linear& base() { return base_; }

 protected:
  torch::Tensor dropout(const torch::Tensor& x);
  // Adapter tensors are fp32 masters on the base layer's device.
  torch::TensorOptions param_options() const { return torch::TensorOptions().dtype(torch::kFloat32).device(base_->weight.device()); }
  Linear base_;  // a handle to the shared, frozen layer: never a copy of its weight
  AdapterSpec spec_;

 private:
  bool merged_ = false;
  torch::Tensor merged_scale_;  // g at merge time, to undo it
};

}  // namespace vltune::adapters
