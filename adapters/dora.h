// DoRA (Liu et al. 2024, Eq. 5): W' = m ⊙ (W0 + s·B A) / ‖W0 + s·B A‖.
// A, B and s as in LoRA; m starts at ‖W0‖ (B = 0). The forward pass is WeightDecomposedAdapter's.
#pragma once
#include "adapters/weight_decomposed.h"

namespace vltune::adapters {

class DoraAdapter : public WeightDecomposedAdapter {
 public:
  DoraAdapter(Linear base, AdapterSpec spec, torch::Generator& generator);
  FileTensors file_tensors() override {
    return {{"lora_A.weight", lora_a}, {"lora_B.weight", lora_b}, {"lora_magnitude_vector", magnitude}};
  }
  torch::Tensor lora_a, lora_b;

 protected:
  LowRankFactors factors() override { return {lora_a, lora_b, spec_.scaling()}; }
};

}  // namespace vltune::adapters
