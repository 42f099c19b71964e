// LoRA (Hu et al. 2021):  y = W0 x + b + s · B A dropout(x),   s = alpha / r (alpha / √r with rslora)
// A [r, in] is Kaiming-uniform (a = √5), B [out, r] is zero, so training starts at the base model.
#pragma once
#include "adapters/adapter.h"

namespace vltune::adapters {

class LoraAdapter : public Adapter {
 public:
  LoraAdapter(Linear base, AdapterSpec spec, torch::Generator& generator);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override;
  torch::Tensor delta_weight() override;
  FileTensors file_tensors() override { return {{"lora_A.weight", lora_a}, {"lora_B.weight", lora_b}}; }

  torch::Tensor lora_a, lora_b;
};

// A [rows, cols] drawn like nn.init.kaiming_uniform_(a=√5): U(−1/√cols, 1/√cols).
torch::Tensor kaiming_uniform_a_sqrt5(int64_t rows, int64_t cols, torch::Generator& generator);

}  // namespace vltune::adapters
