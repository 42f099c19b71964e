#include "language/rope.h"

#include "language/rope_kernels_launch.h"

#include <cmath>

namespace vltune::language {

torch::Tensor rope_inv_freq(const RopeConfig& rope, int64_t head_dim) {
  auto exponents = torch::arange(0, head_dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(head_dim);
  auto inv_freq = 1.0 / torch::pow(rope.theta, exponents);
  if (rope.type == "linear") return inv_freq / rope.factor;
  if (rope.type != "llama3") return inv_freq;

  // Llama 3: long wavelengths are slowed by `factor`, short ones kept, the band between blended.
  const double old_context = static_cast<double>(rope.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / rope.low_freq_factor;
  const double high_freq_wavelen = old_context / rope.high_freq_factor;
  auto wavelen = 2 * M_PI / inv_freq;
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
  auto smooth = (old_context / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
  auto medium = torch::logical_not(wavelen < high_freq_wavelen) * torch::logical_not(wavelen > low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq, const torch::Tensor& positions,
                                                     torch::Dtype dtype) {
  auto pos = positions.dim() == 1 ? positions.unsqueeze(0) : positions;
  auto freqs = pos.to(torch::kFloat32).unsqueeze(-1) * inv_freq.to(pos.device()).view({1, 1, -1});  // [B, L, d/2]
  auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);                                          // [B, 1, L, d]
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

namespace {

// RoPE on the CUDA kernel (rope_kernels.h), forward and backward; cos and sin are constants.
class RopeOnKernel : public torch::autograd::Function<RopeOnKernel> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& cos,
                               const torch::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    return kernels::rope(x, cos, sin, /*backward=*/false);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    return {kernels::rope(grad_outputs[0], saved[0], saved[1], /*backward=*/true), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (kernels::rope_applies(x, cos, sin)) return RopeOnKernel::apply(x, cos, sin);
  return apply_rope_composite(x, cos, sin);
}

torch::Tensor apply_rope_composite(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace vltune::language
