// VeRA (Kopiczko et al. 2024):  y = W0 x + b + λ_b ⊙ B (λ_d ⊙ A dropout(x))
// A [r, max_in] and B [max_out, r] are frozen, random, and shared by every adapted layer of a set;
// each layer uses A[:, :in] and B[:out, :]. λ_b [out] starts at 0, λ_d [r] at d_initial.
// The forward pass (fused with dropout 0) and ΔW are LowRankAdapter's with vera_factors().
#pragma once
#include "adapters/low_rank_adapter.h"

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

// VeRA's update as low-rank factors for an out×in layer: (A[:, :in], diag(λ_b) B[:out, :] diag(λ_d), 1),
// on λ_b's device (DVoRA uses them too).
LowRankFactors vera_factors(const VeraProjections& projections, int64_t in, int64_t out, const torch::Tensor& lambda_b,
                            const torch::Tensor& lambda_d);

class VeraAdapter : public LowRankAdapter {
 public:
  VeraAdapter(Linear base, AdapterSpec spec, std::shared_ptr<const VeraProjections> projections);
  FileTensors file_tensors() override { return {{"vera_lambda_b", lambda_b}, {"vera_lambda_d", lambda_d}}; }

  torch::Tensor lambda_b, lambda_d;

 protected:
  LowRankFactors factors() override;

 private:
  std::shared_ptr<const VeraProjections> projections_;
};

}  // namespace vltune::adapters
