// Magnitude only (DoRA with the direction frozen, the paper's Table 6 granularity for O, gate, up
// and down):  y = W0 x + b + (m / ‖W0‖ − 1) ⊙ W0 x,   m starts at ‖W0‖; only m trains.
#pragma once
#include "adapters/weight_decomposed.h"

namespace vltune::adapters {

class MagnitudeAdapter : public WeightDecomposedAdapter {
 public:
  MagnitudeAdapter(Linear base, AdapterSpec spec) : WeightDecomposedAdapter(std::move(base), spec) { init_magnitude(); }
  FileTensors file_tensors() override { return {{"lora_magnitude_vector", magnitude}}; }

 protected:
  LowRankFactors factors() override { return {}; }
};

}  // namespace vltune::adapters
