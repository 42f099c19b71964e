// Rotary position embeddings as LLaMA applies them (rotate_half convention):
//   inv_freq_i = 1 / theta^(2i/d), optionally rescaled (linear: /factor; llama3: by wavelength band)
//   q' = q ⊙ cos(p·inv_freq) + rotate_half(q) ⊙ sin(p·inv_freq), cos/sin repeated over both halves
#pragma once
#include <torch/torch.h>

#include <utility>

#include "language/decoder_arch.h"

namespace vltune::language {

torch::Tensor rope_inv_freq(const RopeConfig& rope, int64_t head_dim);  // [head_dim/2], fp32

// cos and sin for positions [B, L] (or [L]), shaped [B, 1, L, head_dim], in `dtype`.
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq, const torch::Tensor& positions,
                                                     torch::Dtype dtype);

// x [B, H, L, head_dim] rotated by cos and sin (rope_cos_sin's, or any broadcastable to x). On CUDA
// with vltune's kernels, one kernel each way (language/rope_kernels.h), bit for bit the composite's.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
// The same as ATen ops (negation, concatenation, products, sum): every other device and layout.
torch::Tensor apply_rope_composite(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace vltune::language
