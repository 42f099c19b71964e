// language/rope_kernels.h's kernel for LibTorch tensors, where vltune was built with its CUDA
// kernels (rope_kernels_launch.cpp) or not (rope_kernels_absent.cpp: never applies).
#pragma once
#include <torch/torch.h>

namespace vltune::language::kernels {

// Whether the kernel takes these tensors: CUDA, fp32/fp16/bf16 alike, x [B, H, L, d] with d even
// and unit stride along d, cos and sin contiguous [B or 1, 1, L, d] and not requiring gradients.
bool rope_applies(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// RoPE of x (forward) or its backward (x is then ∂L/∂y), into a new tensor laid out as x is. Only
// where rope_applies.
torch::Tensor rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, bool backward);

}  // namespace vltune::language::kernels
