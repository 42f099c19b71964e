#include "multimodal/projector.h"

namespace vltune::multimodal {

ProjectorImpl::ProjectorImpl(const ProjectorConfig& c, torch::Dtype dtype) : act(c.act) {
  linear_1 = register_module("linear_1", Linear(LinearOptions{c.in_features, c.out_features, c.bias, dtype}));
  linear_2 = register_module("linear_2", Linear(LinearOptions{c.out_features, c.out_features, c.bias, dtype}));
}

}  // namespace vltune::multimodal
