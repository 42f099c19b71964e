// A low-rank adapter's linear as one autograd node (dropout 0; the DoRA family's norm detached):
//   u = x Aᵀ                    [T, r]
//   z = x W0ᵀ + s·u Bᵀ          [T, out]   (one GEMM, then the rank-r GEMM accumulating into it)
//   y = g ⊙ z + b,   g = m / n  (DoRA, DVoRA; LoRA and VeRA have no g)
// Backward, with h = ∂L/∂y ⊙ g:
//   ∂L/∂x = h W0 + s·(h B) A,   ∂L/∂A = s·(h B)ᵀ x,   ∂L/∂B = s·hᵀ u,
//   ∂L/∂m = Σ_tokens ∂L/∂y ⊙ z / n = Σ_tokens ∂L/∂y ⊙ (g ⊙ z) / m.
// g and the divisor m come in computed (WeightDecomposedAdapter's scales, refreshed once per step
// for all adapters at once), so the node adds one kernel to LoRA's forward and three to its backward.
// Saved: x and u, as LoRA's ops keep them, and for DoRA g ⊙ z. Without a bias g ⊙ z is the output
// y itself, the very tensor SiLU and the gate⊙up product keep anyway, so gate_proj and up_proj
// cost no extra memory; PEFT keeps the base product x W0ᵀ and an fp32 copy instead. With a bias,
// g ⊙ z is kept apart, as y − b would lose digits when |b| ≫ |g ⊙ z|. A row whose magnitude is
// exactly 0 gets a zero magnitude gradient (its divisor is given as 1 there and Σ ∂L/∂y ⊙ (g ⊙ z) is
// 0, since g is; DoRA starts at m = ‖W0‖).
// The scale by g and its backward are adapters/decomposed_elementwise.h's: one CUDA kernel each
// (adapters/decomposed_kernels.h) where vltune was built with them.
// W0 and b are frozen: no gradient flows to them. A, B and m may be fp32 masters beside a bf16
// model; they are cast to x's dtype for the products and their gradients come back in their own.
#pragma once
#include <torch/torch.h>

namespace vltune::adapters {

// `magnitude`, `g` = m / ‖W0 + sBA‖ and `magnitude_divisor` = m with 1 where m = 0 [out] are all
// given (DoRA) or all undefined (LoRA); only `magnitude` gets a gradient, g and the divisor are
// treated as constants. x [..., in], W0 [out, in], b [out] or undefined, A [r, in], B [out, r].
torch::Tensor fused_low_rank_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                    const torch::Tensor& a, const torch::Tensor& b, double scale,
                                    const torch::Tensor& magnitude = {}, const torch::Tensor& g = {},
                                    const torch::Tensor& magnitude_divisor = {});

}  // namespace vltune::adapters
