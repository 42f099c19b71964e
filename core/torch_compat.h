// The one place that knows the differences between LibTorch 1.13 (Debian 12) and 2.x (the GPU
// machine). Everything else calls these wrappers and stays free of version checks.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>

#include <optional>

namespace vltune::compat {

inline constexpr bool kHasFusedAttention = TORCH_VERSION_MAJOR >= 2;

// softmax(q kᵀ · scale + mask) v over [B, H, L, D] tensors. `mask` is additive (0 where attended,
// the dtype's lowest value where not) and broadcasts to [B, H, Lq, Lk]. On 2.x this is the fused
// kernel; on 1.13 the same formula in plain ops, computed the way transformers' eager path does.
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v,
                                                  const std::optional<torch::Tensor>& mask,
                                                  double scale) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, mask, /*dropout_p=*/0.0, /*is_causal=*/false,
                                          scale);
#else
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  if (mask) scores = scores + *mask;
  auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
  return torch::matmul(probs, v);
#endif
}

}  // namespace vltune::compat
