// LoRA (Hu et al. 2021):  y = W0 x + b + s · B A dropout(x),   s = alpha / r (alpha / √r with rslora)
// A [r, in] is Kaiming-uniform (a = √5), B [out, r] is zero, so training starts at the base model.
// The forward pass and ΔW are LowRankAdapter's with factors (A, B, s).
#pragma once
#include "adapters/low_rank_adapter.h"

namespace vltune::adapters {

class LoraAdapter : public LowRankAdapter {
 public:
  LoraAdapter(Linear base, AdapterSpec spec, torch::Generator& generator);
  FileTensors file_tensors() override { return {{"lora_A.weight", lora_a}, {"lora_B.weight", lora_b}}; }

  torch::Tensor lora_a, lora_b;

 protected:
  LowRankFactors factors() override { return {lora_a, lora_b, spec_.scaling()}; }
};

// A [rows, cols] drawn like nn.init.kaiming_uniform_(a=√5): U(−1/√cols, 1/√cols).
torch::Tensor kaiming_uniform_a_sqrt5(int64_t rows, int64_t cols, torch::Generator& generator);

}  // namespace vltune::adapters
