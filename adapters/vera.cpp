#include "adapters/vera.h"

#include <cmath>

#include "core/error.h"

namespace vltune::adapters {

namespace {
// PEFT's _kaiming_init: U(−b, b) with b = √3 · √2 / √fan_in, fan_in = the tensor's second dimension.
torch::Tensor kaiming_init(int64_t rows, int64_t cols, torch::Generator& generator) {
  const double bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(static_cast<double>(cols));
  return torch::empty({rows, cols}, torch::kFloat32).uniform_(-bound, bound, generator);
}
}  // namespace

VeraProjections VeraProjections::draw(int64_t rank, int64_t max_in, int64_t max_out, int64_t seed) {
  check_rank(rank, "[adapters] VeRA projections");
  auto generator = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  VeraProjections p;
  p.seed = seed;
  p.a = kaiming_init(rank, max_in, generator);
  p.b = kaiming_init(max_out, rank, generator);
  return p;
}

VeraAdapter::VeraAdapter(Linear base, AdapterSpec spec, std::shared_ptr<const VeraProjections> projections)
    : LowRankAdapter(std::move(base), spec), projections_(std::move(projections)) {
  lambda_b = register_parameter("lambda_b", torch::zeros({base_->out_features()}, param_options()));
  lambda_d = register_parameter("lambda_d", torch::full({spec.rank}, spec.d_initial, param_options()));
}

LowRankFactors vera_factors(const VeraProjections& projections, int64_t in, int64_t out, const torch::Tensor& lambda_b,
                            const torch::Tensor& lambda_d) {
  const auto a = projections.a_for(in).to(lambda_b.device());
  const auto b = projections.b_for(out).to(lambda_b.device());
  return {a, lambda_b.unsqueeze(1) * b * lambda_d.unsqueeze(0), 1.0};
}

LowRankFactors VeraAdapter::factors() {
  return vera_factors(*projections_, base_->in_features(), base_->out_features(), lambda_b, lambda_d);
}

}  // namespace vltune::adapters
