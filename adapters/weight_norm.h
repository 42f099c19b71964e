// Row norms of W0 + s·B·A without forming the out×in matrix (adapters issue, "efficient DoRA"):
//   ‖W0ᵢ + s·BᵢA‖² = ‖W0ᵢ‖² + 2s·Bᵢ·(A W0ᵢᵀ) + s²·Bᵢ (A Aᵀ) Bᵢᵀ
// ‖W0ᵢ‖² is cached by the caller (W0 is frozen); the rest costs O(out·r + r²) extra memory and is
// computed in fp32 (fp64 for fp64 inputs). The result is differentiable in A and B (for `norm_grad`).
#pragma once
#include <torch/torch.h>

namespace vltune::adapters {

torch::Tensor squared_row_norms(const torch::Tensor& w0);  // ‖W0ᵢ‖², fp32 (fp64 for fp64) [out]

// W0 [out, in] frozen, base_sq = squared_row_norms(W0), A [r, in], B [out, r] -> [out].
torch::Tensor factored_row_norm(const torch::Tensor& w0, const torch::Tensor& base_sq, const torch::Tensor& a,
                                const torch::Tensor& b, double scale);

// factored_row_norm in two parts, for callers that finish it elsewhere (adapters/decomposed_elementwise.h):
// n² = ‖W0ᵢ‖² + Bᵢ · mixedᵢ, with mixed = 2s·(A W0ᵀ)ᵀ + s²·B (A Aᵀ) [out, r] and B, both in fp32 (fp64 for fp64).
struct FactoredNormParts {
  torch::Tensor b, mixed;
};
FactoredNormParts factored_norm_parts(const torch::Tensor& w0, const torch::Tensor& a, const torch::Tensor& b, double scale);
// √base_sq where `parts` is empty (a magnitude-only adapter has no B·A).
torch::Tensor norm_from_parts(const torch::Tensor& base_sq, const FactoredNormParts& parts);

// The same norm by forming W0 + s·B·A, as PEFT does: the reference for tests and the benchmark.
torch::Tensor materialized_row_norm(const torch::Tensor& w0, const torch::Tensor& a, const torch::Tensor& b,
                                    double scale);

}  // namespace vltune::adapters
