// The LLaVA projector: visual features into the decoder's embedding space,
//   y = linear_2(act(linear_1(x)))     (biases per multimodal_projector_bias)
#pragma once
#include <torch/torch.h>

#include "core/layers.h"

namespace vltune::multimodal {

struct ProjectorConfig {
  int64_t in_features = 0;   // vision hidden size x number of feature layers
  int64_t out_features = 0;  // decoder hidden size
  std::string act = "gelu";
  bool bias = true;
};

class ProjectorImpl : public torch::nn::Module {
 public:
  ProjectorImpl(const ProjectorConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x) { return linear_2(activation(act, linear_1(x))); }
  Linear linear_1{nullptr}, linear_2{nullptr};
  std::string act;
};
TORCH_MODULE(Projector);

}  // namespace vltune::multimodal
