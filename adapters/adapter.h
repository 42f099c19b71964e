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

#include "adapters/adapter_spec.h"
#include "core/layers.h"

namespace vltune::adapters {

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
