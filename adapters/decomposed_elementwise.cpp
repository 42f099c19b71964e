#include "adapters/decomposed_elementwise.h"

#include "adapters/decomposed_kernels_launch.h"

namespace vltune::adapters {

ScaledOutput scale_columns(torch::Tensor z, const torch::Tensor& g, const torch::Tensor& bias) {
  if (auto done = kernels::scale_columns(z, g, bias)) return *done;
  z.mul_(g);
  // With a bias, the scaled product stays apart: y − b would lose digits where |b| ≫ |g ⊙ z|.
  return {z, bias.defined() ? z + bias : z};
}

ScaledGradients scale_columns_backward(const torch::Tensor& dy, const torch::Tensor& g, const torch::Tensor& scaled,
                                       const torch::Tensor& divisor) {
  if (auto done = kernels::scale_columns_backward(dy, g, scaled, divisor)) return *done;
  return {dy * g, (dy * scaled).sum({0}, /*keepdim=*/false, divisor.scalar_type()).div_(divisor)};
}

void write_scales(const torch::Tensor& base_sq, const FactoredNormParts& parts, const torch::Tensor& magnitude,
                  torch::Tensor& norm, torch::Tensor& g, torch::Tensor& divisor) {
  if (kernels::write_scales(base_sq, parts, magnitude, norm, g, divisor)) return;
  norm.copy_(norm_from_parts(base_sq, parts));
  g.copy_(magnitude / norm);
  divisor.copy_(magnitude.masked_fill(magnitude == 0, 1));
}

}  // namespace vltune::adapters
