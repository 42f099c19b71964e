// Full fine-tuning of a module, placed by the same rules as the adapters:
//   y = (W0 + ΔW) x + b,   ΔW [out, in] starts at 0 and trains.
// Training a delta rather than W0 itself keeps the shared backbone untouched for other adapter
// sets; the gradient is the same as full fine-tuning's. Files store W0 + ΔW as "weight", the way
// PEFT stores modules_to_save.
// The forward is one autograd node that keeps only x: W = W0 + ΔW (cast to x's dtype) is formed for
// the product and dropped, and formed again in the backward, the same values both times:
//   ∂L/∂x = ∂L/∂y · W,   ∂L/∂ΔW = (∂L/∂yᵀ · x) in x's dtype, then in ΔW's (as autograd's cast gives).
// Autograd's own linear would keep W for the backward: 2 bytes per trained weight in bf16 across
// all layers, 12 GiB of a 7B decoder.
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
