// Full fine-tuning of a module, placed by the same rules as the adapters:
//   y = (W0 + ΔW) x + b,   ΔW [out, in] starts at 0 and trains.
// Training a delta rather than W0 itself keeps the shared backbone untouched for other adapter
// sets; the gradient is the same as full fine-tuning's. Files store W0 + ΔW as "weight", the way
// PEFT stores modules_to_save.
#pragma once
#include "adapters/adapter.h"

namespace vltune::adapters {

class FullAdapter : public Adapter {
 public:
  FullAdapter(Linear base, AdapterSpec spec);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override;
  torch::Tensor delta_weight() override { return delta; }
  FileTensors file_tensors() override;  // {"weight", W0 + ΔW}
  void load_file_tensor(const std::string& suffix, const torch::Tensor& value, const std::string& where) override;
  FileTensors file_gradients() override { return {{"weight", delta.grad()}}; }  // ∂L/∂W = ∂L/∂ΔW

  torch::Tensor delta;
};

}  // namespace vltune::adapters
