#include "adapters/dvora.h"

namespace vltune::adapters {

DvoraAdapter::DvoraAdapter(Linear base, AdapterSpec spec, std::shared_ptr<const VeraProjections> projections)
    : WeightDecomposedAdapter(std::move(base), spec), projections_(std::move(projections)) {
  lambda_b = register_parameter("lambda_b", torch::zeros({base_->out_features()}, param_options()));
  lambda_d = register_parameter("lambda_d", torch::full({spec.rank}, spec.d_initial, param_options()));
  init_magnitude();
}

LowRankFactors DvoraAdapter::factors() {
  return vera_factors(*projections_, base_->in_features(), base_->out_features(), lambda_b, lambda_d);
}

}  // namespace vltune::adapters
