#include "language/rope_kernels.h"

#include <cuda_runtime.h>

#include <algorithm>

#include "core/cuda_numbers.cuh"

namespace vltune::language::cuda {

namespace {

using ::vltune::cuda::narrow;
using ::vltune::cuda::widen;

// The product a·b and the sum a ± b rounded to T, never fused into one multiply-add (the composite
// rounds the products first).
template <typename T> __device__ __forceinline__ float product(T a, T b) { return widen(narrow<T>(__fmul_rn(widen(a), widen(b)))); }

// One thread per (row, i) with i < d/2: the pair (i, i + d/2) of one row (b, h, l).
template <typename T>
__global__ void rope_kernel(const T* __restrict__ x, const T* __restrict__ cos, const T* __restrict__ sin, T* __restrict__ y,
                            RopeShape s, bool backward) {
  const int64_t half = s.dim / 2, pairs = s.batch * s.heads * s.length * half;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < pairs; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = i % half, row = i / half;
    const int64_t l = row % s.length, h = (row / s.length) % s.heads, b = row / (s.length * s.heads);
    const T* xr = x + b * s.x_strides[0] + h * s.x_strides[1] + l * s.x_strides[2];
    T* yr = y + b * s.y_strides[0] + h * s.y_strides[1] + l * s.y_strides[2];
    const int64_t table = ((s.table_per_batch ? b : 0) * s.length + l) * s.dim;
    const T x1 = xr[j], x2 = xr[j + half];
    const T c1 = cos[table + j], c2 = cos[table + j + half], s1 = sin[table + j], s2 = sin[table + j + half];
    if (!backward) {
      yr[j] = narrow<T>(__fsub_rn(product(x1, c1), product(x2, s1)));
      yr[j + half] = narrow<T>(__fadd_rn(product(x2, c2), product(x1, s2)));
    } else {
      yr[j] = narrow<T>(__fadd_rn(product(x1, c1), product(x2, s2)));
      yr[j + half] = narrow<T>(__fsub_rn(product(x2, c2), product(x1, s1)));
    }
  }
}

template <typename T>
void launch(const void* x, const void* cos, const void* sin, void* y, const RopeShape& shape, bool backward, void* stream) {
  const int64_t pairs = shape.batch * shape.heads * shape.length * (shape.dim / 2);
  if (pairs == 0) return;
  constexpr int kThreads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((pairs + kThreads - 1) / kThreads, 65535 * 8));
  rope_kernel<T><<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<const T*>(x), static_cast<const T*>(cos), static_cast<const T*>(sin), static_cast<T*>(y), shape, backward);
}

}  // namespace

void rotate(::vltune::cuda::Element element, const void* x, const void* cos, const void* sin, void* y, const RopeShape& shape,
            bool backward, void* stream) {
  switch (element) {
    case ::vltune::cuda::Element::kFloat32: return launch<float>(x, cos, sin, y, shape, backward, stream);
    case ::vltune::cuda::Element::kFloat16: return launch<__half>(x, cos, sin, y, shape, backward, stream);
    case ::vltune::cuda::Element::kBFloat16: return launch<__nv_bfloat16>(x, cos, sin, y, shape, backward, stream);
  }
}

}  // namespace vltune::language::cuda
