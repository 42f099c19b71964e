// A CUDA kernel for RoPE (language/rope.h), forward and backward, one pass each way where ATen's
// composite takes a negation, a concatenation, two broadcast products and a sum (and as many
// kernels again backward), all on non-contiguous views. Plain C++ (no LibTorch): built by nvcc
// where LibTorch has CUDA (VLTUNE_CUDA_KERNELS); language/rope.cpp chooses it for CUDA tensors.
//
// x and y are [B, H, L, d] with unit stride along d and the strides given for B, H and L (y may
// alias nothing); cos and sin are contiguous [B or 1, 1, L, d]. With x = [x1, x2] halves along d:
//   forward:  y1 = x1·c1 − x2·s1,     y2 = x2·c2 + x1·s2
//   backward: dx1 = dy1·c1 + dy2·s2,  dx2 = dy2·c2 − dy1·s1   (`backward`: x is dy, y is dx)
// Each product and each sum is rounded to the element type, in the order the composite's ops round
// them, so the results are the composite's bit for bit.
#pragma once
#include <cstdint>

#include "core/cuda_element.h"

namespace vltune::language::cuda {

struct RopeShape {
  int64_t batch = 0, heads = 0, length = 0, dim = 0;
  int64_t x_strides[3] = {};  // of B, H, L in x
  int64_t y_strides[3] = {};  // of B, H, L in y
  bool table_per_batch = false;  // cos/sin have B rows (else 1, shared)
};

void rotate(::vltune::cuda::Element element, const void* x, const void* cos, const void* sin, void* y, const RopeShape& shape,
            bool backward, void* stream);

}  // namespace vltune::language::cuda
