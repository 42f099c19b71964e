// LoRA's and DoRA's adapted linear as one autograd node (dropout 0, DoRA's norm detached):
//   u = x Aᵀ                    [T, r]
//   z = x W0ᵀ + s·u Bᵀ          [T, out]   (one GEMM, then the rank-r GEMM accumulating into it)
//   y = g ⊙ z + b,   g = m / n  (DoRA; LoRA has no g)
// Backward, with h = ∂L/∂y ⊙ g:
//   ∂L/∂x = h W0 + s·(h B) A,   ∂L/∂A = s·(h B)ᵀ x,   ∂L/∂B = s·hᵀ u,
//   ∂L/∂m = Σ_tokens ∂L/∂y ⊙ z / n = Σ_tokens ∂L/∂y ⊙ (g ⊙ z) / m.
// Saved: x and u, as LoRA's ops keep them, and for DoRA g ⊙ z. Without a bias g ⊙ z is the output
// y itself, the very tensor SiLU and the gate⊙up product keep anyway, so gate_proj and up_proj
// cost no extra memory; PEFT keeps the base product x W0ᵀ and an fp32 copy instead. With a bias,
// g ⊙ z is kept apart, as y − b would lose digits when |b| ≫ |g ⊙ z|. A row whose magnitude is
// exactly 0 gets a zero magnitude gradient (its output carries no z; DoRA starts at m = ‖W0‖).
// W0 and b are frozen: no gradient flows to them. A, B and m may be fp32 masters beside a bf16
// model; they are cast to x's dtype for the products and their gradients come back in their own.
#pragma once
#include <torch/torch.h>

namespace vltune::adapters {

// `magnitude` and `norm` [out] are both given (DoRA) or both undefined (LoRA); `norm` is not
// differentiated. x [..., in], W0 [out, in], b [out] or undefined, A [r, in], B [out, r].
torch::Tensor fused_low_rank_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                    const torch::Tensor& a, const torch::Tensor& b, double scale,
                                    const torch::Tensor& magnitude = {}, const torch::Tensor& norm = {});

}  // namespace vltune::adapters
