#include "adapters/dvora.h"

namespace vltune::adapters {

DvoraAdapter::DvoraAdapter(Linear base, AdapterSpec spec, std::shared_ptr<const VeraProjections> projections)
    : WeightDecomposedAdapter(std::move(base), spec), projections_(std::move(projections)) {
  lambda_b = register_parameter("lambda_b", torch::zeros({base_->out_features()}, param_options()));
  lambda_d = register_parameter("lambda_d", torch::full({spec.rank}, spec.d_initial, param_options()));
  init_magnitude();
}

LowRankFactors DvoraAdapter::factors() {
  const auto a = projections_->a_for(base_->in_features()).to(lambda_b.device());
  const auto b = projections_->b_for(base_->out_features()).to(lambda_b.device());
  return {a, lambda_b.unsqueeze(1) * b * lambda_d.unsqueeze(0), 1.0};
}

}  // namespace vltune::adapters
