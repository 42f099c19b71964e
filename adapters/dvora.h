// DVoRA (DoRA + VeRA): W' = m ⊙ (W0 + Λ_b B Λ_d A) / ‖W0 + Λ_b B Λ_d A‖,
// with VeRA's frozen shared A and B and trainable λ_b, λ_d, and DoRA's magnitude m (starting at
// ‖W0‖). The forward pass is WeightDecomposedAdapter's with factors (A, diag(λ_b) B diag(λ_d), 1).
#pragma once
#include "adapters/vera.h"
#include "adapters/weight_decomposed.h"

namespace vltune::adapters {

class DvoraAdapter : public WeightDecomposedAdapter {
 public:
  DvoraAdapter(Linear base, AdapterSpec spec, std::shared_ptr<const VeraProjections> projections);
  FileTensors file_tensors() override {
    return {{"vera_lambda_b", lambda_b}, {"vera_lambda_d", lambda_d}, {"lora_magnitude_vector", magnitude}};
  }
  torch::Tensor lambda_b, lambda_d;

 protected:
  LowRankFactors factors() override;

 private:
  std::shared_ptr<const VeraProjections> projections_;
};

}  // namespace vltune::adapters
