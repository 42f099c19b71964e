#include "adapters/weight_norm.h"

namespace vltune::adapters {

namespace {
// At least fp32: fp64 stays fp64 (the finite-difference checks), everything narrower widens.
torch::Dtype norm_dtype(const torch::Tensor& t) { return t.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32; }
}  // namespace

torch::Tensor squared_row_norms(const torch::Tensor& w0) {
  torch::NoGradGuard no_grad;
  // Row by row in fp32 without an fp32 copy of W0: a per-row dot product accumulates in fp32.
  return at::linalg_vector_norm(w0, 2, {1}, /*keepdim=*/false, norm_dtype(w0)).pow(2);
}

FactoredNormParts factored_norm_parts(const torch::Tensor& w0, const torch::Tensor& a, const torch::Tensor& b, double scale) {
  const auto dtype = norm_dtype(a);
  auto a32 = a.to(dtype);
  auto b32 = b.to(dtype);
  auto projected = torch::matmul(w0, a.to(w0.scalar_type()).t()).to(dtype);  // P = A W0ᵀ per row: [out, r]
  // 2s·P + s²·B (A Aᵀ) in one GEMM, so n² = ‖W0ᵢ‖² + Bᵢ · (that)ᵢ: few kernels, as this runs for
  // every adapter every step.
  return {b32, torch::addmm(projected, b32, torch::mm(a32, a32.t()), /*beta=*/2 * scale, /*alpha=*/scale * scale)};
}

torch::Tensor norm_from_parts(const torch::Tensor& base_sq, const FactoredNormParts& parts) {
  if (!parts.b.defined()) return base_sq.sqrt();
  // The row dots and the sum as one batched GEMM: [out, 1, 1].
  auto squared = torch::baddbmm(base_sq.to(parts.mixed.scalar_type()).view({-1, 1, 1}), parts.b.unsqueeze(1),
                                parts.mixed.unsqueeze(2));
  return squared.view({-1}).clamp_min(0).sqrt();
}

torch::Tensor factored_row_norm(const torch::Tensor& w0, const torch::Tensor& base_sq, const torch::Tensor& a,
                                const torch::Tensor& b, double scale) {
  return norm_from_parts(base_sq, factored_norm_parts(w0, a, b, scale));
}

torch::Tensor materialized_row_norm(const torch::Tensor& w0, const torch::Tensor& a, const torch::Tensor& b,
                                    double scale) {
  const auto dtype = norm_dtype(a);
  auto weight = w0.to(dtype) + scale * torch::matmul(b.to(dtype), a.to(dtype));
  return at::linalg_vector_norm(weight, 2, {1}, false, c10::nullopt);
}

}  // namespace vltune::adapters
