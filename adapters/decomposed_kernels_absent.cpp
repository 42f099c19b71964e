// decomposed_kernels_launch.h where vltune has no CUDA kernels: ATen does all the work.
#include "adapters/decomposed_kernels_launch.h"

namespace vltune::adapters::kernels {

std::optional<ScaledOutput> scale_columns(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) { return std::nullopt; }

std::optional<ScaledGradients> scale_columns_backward(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                                      const torch::Tensor&) {
  return std::nullopt;
}

bool write_scales(const torch::Tensor&, const FactoredNormParts&, const torch::Tensor&, torch::Tensor&, torch::Tensor&, torch::Tensor&) {
  return false;
}

}  // namespace vltune::adapters::kernels
