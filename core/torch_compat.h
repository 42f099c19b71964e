// The one place that knows the differences between LibTorch 1.13 (Debian 12) and 2.x (the GPU
// machine). Everything else calls these wrappers and stays free of version checks.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>

#include <limits>
#include <optional>
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9)
#include <ATen/DeviceAccelerator.h>
#define VLTUNE_HAS_ACCELERATOR_STATS 1
#endif

namespace vltune::compat {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
#define VLTUNE_HAS_SDPA_GQA 1  // at::scaled_dot_product_attention(..., enable_gqa)
#endif
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define VLTUNE_HAS_RMS_NORM 1  // at::rms_norm (a fused kernel on CUDA in recent releases)
#endif

inline constexpr bool kHasFusedAttention = TORCH_VERSION_MAJOR >= 2;

// softmax(q kᵀ · scale + mask) v over q [B, H, Lq, D] and k, v [B, Hkv, Lk, D], where H is a
// multiple of Hkv (grouped-query attention: key/value head j serves query heads j·H/Hkv onwards).
// `mask` is additive (0 where attended, the dtype's lowest value where not) and broadcasts to
// [B, H, Lq, Lk]; `causal` instead lets query i attend keys 0..i (Lq == Lk, no mask given), which
// on 2.x is the flash kernel's case. On 2.x this is the fused kernel, which since 2.5 takes the
// grouped k and v as they are (no copy) when there is no mask (the flash kernel's case); otherwise
// k and v are repeated per group. On 1.13 the same formula in plain ops, computed the way
// transformers' eager path does.
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v,
                                                  const std::optional<torch::Tensor>& mask,
                                                  double scale, bool causal = false) {
  const int64_t groups = q.size(1) / k.size(1);
#ifdef VLTUNE_HAS_SDPA_GQA
  if (!mask)
    return at::scaled_dot_product_attention(q, k, v, mask, /*dropout_p=*/0.0, causal, scale,
                                            /*enable_gqa=*/groups > 1);
#endif
  const auto keys = groups > 1 ? k.repeat_interleave(groups, 1) : k;
  const auto values = groups > 1 ? v.repeat_interleave(groups, 1) : v;
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, keys, values, mask, /*dropout_p=*/0.0, causal, scale);
#else
  auto scores = torch::matmul(q, keys.transpose(-2, -1)) * scale;
  if (mask) scores = scores + *mask;
  if (causal) {
    const auto future = torch::ones({q.size(2), k.size(2)}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
  return torch::matmul(probs, values);
#endif
}

// x / sqrt(mean(x², last dim) + eps) for an fp32 x (LLaMA's RMSNorm before its weight): one fused
// op where LibTorch has it (2.4+), the formula in plain ops elsewhere.
inline torch::Tensor rms_normalize(const torch::Tensor& x, double eps) {
#ifdef VLTUNE_HAS_RMS_NORM
  return at::rms_norm(x, {x.size(-1)}, /*weight=*/std::nullopt, eps);
#else
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps);
#endif
}

// Peak bytes held by tensors on an accelerator `device` (CUDA: the caching allocator's aggregate
// allocated_bytes peak, what torch.cuda.max_memory_allocated reports). nullopt on the CPU, and
// before LibTorch 2.9, where these statistics live in c10_cuda, which vltune does not link.
inline std::optional<int64_t> peak_device_allocated_bytes(const torch::Device& device) {
#ifdef VLTUNE_HAS_ACCELERATOR_STATS
  if (device.is_cpu()) return std::nullopt;
  const auto index = device.has_index() ? device.index() : at::accelerator::getDeviceIndex();
  const auto aggregate = static_cast<std::size_t>(c10::CachingDeviceAllocator::StatType::AGGREGATE);
  return at::accelerator::getDeviceStats(index).allocated_bytes[aggregate].peak;
#else
  (void)device;
  return std::nullopt;
#endif
}

// One AdamW update (torch.optim.AdamW's) of flat buffers p, g, m, v by the fused kernel, where
// LibTorch has one (2.x) and the buffers are on CUDA; `step` is a one-element fp32 tensor on their
// device holding the step number. Returns false where there is no fused kernel: the caller then
// runs the update op by op (on the CPU that keeps results identical to torch::optim::AdamW).
inline bool fused_adamw(torch::Tensor& p, torch::Tensor& g, torch::Tensor& m, torch::Tensor& v,
                        const torch::Tensor& step, double lr, double beta1, double beta2,
                        double weight_decay, double eps) {
#if TORCH_VERSION_MAJOR >= 2
  if (!p.is_cuda()) return false;
  at::_fused_adamw_({p}, {g}, {m}, {v}, at::TensorList(), {step}, lr, beta1, beta2, weight_decay, eps,
                    /*amsgrad=*/false, /*maximize=*/false);
  return true;
#else
  (void)p, (void)g, (void)m, (void)v, (void)step, (void)lr, (void)beta1, (void)beta2, (void)weight_decay, (void)eps;
  return false;
#endif
}

// Resets the peak that peak_device_allocated_bytes reports (torch.cuda.reset_peak_memory_stats);
// a no-op where that statistic is not available.
inline void reset_peak_device_allocated_bytes(const torch::Device& device) {
#ifdef VLTUNE_HAS_ACCELERATOR_STATS
  if (device.is_cpu()) return;
  at::accelerator::resetPeakStats(device.has_index() ? device.index() : at::accelerator::getDeviceIndex());
#else
  (void)device;
#endif
}

}  // namespace vltune::compat
