// VeRA (Kopiczko et al. 2024):  y = W0 x + b + λ_b ⊙ B (λ_d ⊙ A dropout(x))
// A [r, max_in] and B [max_out, r] are frozen, random, and shared by every adapted layer of a set;
// each layer uses A[:, :in] and B[:out, :]. λ_b [out] starts at 0, λ_d [r] at d_initial.
#pragma once
#include "adapters/adapter.h"

namespace vltune::adapters {

// The shared projections, drawn as PEFT draws them from `projection_prng_key`.
struct VeraProjections {
  torch::Tensor a;  // [r, max_in]
  torch::Tensor b;  // [max_out, r]
  int64_t seed = 0;
  static VeraProjections draw(int64_t rank, int64_t max_in, int64_t max_out, int64_t seed);
  torch::Tensor a_for(int64_t in) const { return a.narrow(1, 0, in); }
  torch::Tensor b_for(int64_t out) const { return b.narrow(0, 0, out); }
  void to(torch::Device device) {
    a = a.to(device);
    b = b.to(device);
  }
};

class VeraAdapter : public Adapter {
 public:
  VeraAdapter(Linear base, AdapterSpec spec, std::shared_ptr<const VeraProjections> projections);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override;
  torch::Tensor delta_weight() override;
  FileTensors file_tensors() override { return {{"vera_lambda_b", lambda_b}, {"vera_lambda_d", lambda_d}}; }

  torch::Tensor lambda_b, lambda_d;

 private:
  std::shared_ptr<const VeraProjections> projections_;
};

}  // namespace vltune::adapters
