#include "adapters/decomposed_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "core/cuda_numbers.cuh"

namespace vltune::adapters::cuda {

namespace {

using ::vltune::cuda::narrow;
using ::vltune::cuda::widen;

// VEC consecutive elements of one row, moved as one load or store (16 bytes where VEC · sizeof(T) is).
template <typename T, int VEC>
struct alignas(sizeof(T) * VEC) Pack {
  T v[VEC];
};

template <typename T, int VEC>
__global__ void scale_columns_kernel(T* z, const T* __restrict__ g, const T* __restrict__ bias, T* __restrict__ y, int64_t packs,
                                     int64_t cols) {
  using P = Pack<T, VEC>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < packs; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t col = (i * VEC) % cols;
    P zp = reinterpret_cast<P*>(z)[i];
    const P gp = *reinterpret_cast<const P*>(g + col);
#pragma unroll
    for (int k = 0; k < VEC; ++k) zp.v[k] = narrow<T>(widen(zp.v[k]) * widen(gp.v[k]));
    reinterpret_cast<P*>(z)[i] = zp;
    if (bias) {
      const P bp = *reinterpret_cast<const P*>(bias + col);
      P yp;
#pragma unroll
      for (int k = 0; k < VEC; ++k) yp.v[k] = narrow<T>(widen(zp.v[k]) + widen(bp.v[k]));
      reinterpret_cast<P*>(y)[i] = yp;
    }
  }
}

// A block is kLanes × kWarps threads over kLanes · VEC columns and one band of rows: warp w walks rows
// w, w + kWarps, ... of the band, the warps' sums meet in shared memory, and the block writes its
// band's sum of each column into band_sums[band, column]. sum_bands_kernel then adds the bands in
// order and divides: the same bits on every run. (Adding each band's sum into magnitude_grad with
// an atomic, as before, made the order, and so the rounding, depend on block scheduling: DoRA's
// runs on an H200 differed between two identical tuning runs, LoRA's did not; docs/results.md.)
constexpr int kLanes = 32, kWarps = 8;

template <typename T, int VEC>
__global__ void scale_columns_backward_kernel(const T* __restrict__ dy, const T* __restrict__ g, const T* __restrict__ scaled,
                                              T* __restrict__ h, float* __restrict__ band_sums, int64_t rows, int64_t cols,
                                              int64_t rows_per_band) {
  using P = Pack<T, VEC>;
  __shared__ float partial[kWarps][kLanes * VEC];
  const int64_t col = (blockIdx.x * int64_t(kLanes) + threadIdx.x) * VEC;
  const bool inside = col < cols;
  float sums[VEC] = {};
  if (inside) {
    const int64_t first = blockIdx.y * rows_per_band, last = min(rows, first + rows_per_band);
    const P gp = *reinterpret_cast<const P*>(g + col);
#pragma unroll 4
    for (int64_t t = first + threadIdx.y; t < last; t += kWarps) {
      const int64_t at = (t * cols + col) / VEC;
      const P dp = reinterpret_cast<const P*>(dy)[at];
      const P sp = reinterpret_cast<const P*>(scaled)[at];
      P hp;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float d = widen(dp.v[k]);
        hp.v[k] = narrow<T>(d * widen(gp.v[k]));
        sums[k] += d * widen(sp.v[k]);
      }
      reinterpret_cast<P*>(h)[at] = hp;
    }
  }
#pragma unroll
  for (int k = 0; k < VEC; ++k) partial[threadIdx.y][threadIdx.x * VEC + k] = sums[k];
  __syncthreads();
  // The block's kLanes · VEC columns, one per thread while they last.
  for (int c = threadIdx.y * kLanes + threadIdx.x; c < kLanes * VEC; c += kLanes * kWarps) {
    const int64_t column = blockIdx.x * int64_t(kLanes) * VEC + c;
    if (column >= cols) continue;
    float total = 0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) total += partial[w][c];
    band_sums[blockIdx.y * cols + column] = total;
  }
}

__global__ void sum_bands_kernel(const float* __restrict__ band_sums, const float* __restrict__ divisor,
                                 float* __restrict__ magnitude_grad, int64_t bands, int64_t cols) {
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < cols; j += int64_t(gridDim.x) * blockDim.x) {
    float total = 0;
    for (int64_t b = 0; b < bands; ++b) total += band_sums[b * cols + j];
    magnitude_grad[j] = total / divisor[j];
  }
}

template <typename G>
__global__ void finish_scales_kernel(const float* __restrict__ b, const float* __restrict__ mixed, int64_t rank,
                                     const float* __restrict__ base_sq, const float* __restrict__ magnitude,
                                     float* __restrict__ norm, G* __restrict__ g, float* __restrict__ divisor, int64_t rows) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < rows; i += int64_t(gridDim.x) * blockDim.x) {
    float dot = 0;
    for (int64_t k = 0; k < rank; ++k) dot += b[i * rank + k] * mixed[i * rank + k];
    const float n = sqrtf(fmaxf(base_sq[i] + dot, 0.0f)), m = magnitude[i];
    norm[i] = n;
    g[i] = narrow<G>(m / n);
    divisor[i] = m == 0 ? 1.0f : m;
  }
}

constexpr int kThreads = 256;

// The widest pack that divides the row and keeps every row's start aligned to it.
template <typename T>
int pack_width(int64_t cols) {
  constexpr int widest = 16 / sizeof(T);
  return cols % widest == 0 ? widest : 1;
}

template <typename T>
void launch_scale(void* z, const void* g, const void* bias, void* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  const int vec = pack_width<T>(cols);
  const int64_t packs = rows * cols / vec;
  const int blocks = static_cast<int>(std::min<int64_t>((packs + kThreads - 1) / kThreads, 65535));
  if (blocks == 0) return;
  auto zt = static_cast<T*>(z);
  auto gt = static_cast<const T*>(g), bt = static_cast<const T*>(bias);
  auto yt = static_cast<T*>(y);
  if (vec == 1) scale_columns_kernel<T, 1><<<blocks, kThreads, 0, stream>>>(zt, gt, bt, yt, packs, cols);
  else scale_columns_kernel<T, 16 / sizeof(T)><<<blocks, kThreads, 0, stream>>>(zt, gt, bt, yt, packs, cols);
}

// The grid of scale_columns_backward_kernel: column blocks × bands, about eight blocks per
// multiprocessor in all, each band at least 32 rows (4 per warp).
struct BackwardGrid {
  int vec;  // pack_width: elements per load
  int64_t column_blocks, bands, rows_per_band;
};

template <typename T>
BackwardGrid backward_grid(int64_t rows, int64_t cols, int multiprocessors) {
  const int vec = pack_width<T>(cols);
  const int64_t column_blocks = std::max<int64_t>(1, (cols / vec + kLanes - 1) / kLanes);
  const int64_t wanted = std::max<int64_t>(1, std::min<int64_t>((rows + 31) / 32, 8 * int64_t(multiprocessors) / column_blocks));
  const int64_t rows_per_band = std::max<int64_t>(1, (rows + wanted - 1) / wanted);
  return {vec, column_blocks, std::max<int64_t>(1, (rows + rows_per_band - 1) / rows_per_band), rows_per_band};
}

template <typename T>
void launch_backward(const void* dy, const void* g, const void* scaled, void* h, const float* divisor, float* magnitude_grad,
                     float* band_sums, int64_t rows, int64_t cols, int multiprocessors, cudaStream_t stream) {
  if (cols == 0) return;
  if (rows == 0) {
    cudaMemsetAsync(magnitude_grad, 0, sizeof(float) * cols, stream);
    return;
  }
  const auto shape = backward_grid<T>(rows, cols, multiprocessors);
  const dim3 grid(static_cast<unsigned>(shape.column_blocks), static_cast<unsigned>(shape.bands));
  const dim3 block(kLanes, kWarps);
  auto dyt = static_cast<const T*>(dy), gt = static_cast<const T*>(g), st = static_cast<const T*>(scaled);
  auto ht = static_cast<T*>(h);
  if (shape.vec == 1)
    scale_columns_backward_kernel<T, 1><<<grid, block, 0, stream>>>(dyt, gt, st, ht, band_sums, rows, cols, shape.rows_per_band);
  else
    scale_columns_backward_kernel<T, 16 / sizeof(T)><<<grid, block, 0, stream>>>(dyt, gt, st, ht, band_sums, rows, cols,
                                                                                    shape.rows_per_band);
  const int blocks = static_cast<int>(std::min<int64_t>((cols + kThreads - 1) / kThreads, 65535));
  sum_bands_kernel<<<blocks, kThreads, 0, stream>>>(band_sums, divisor, magnitude_grad, shape.bands, cols);
}

}  // namespace

void scale_columns(Element element, void* z, const void* g, const void* bias, void* y, int64_t rows, int64_t cols,
                   void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  switch (element) {
    case Element::kFloat32: return launch_scale<float>(z, g, bias, y, rows, cols, s);
    case Element::kFloat16: return launch_scale<__half>(z, g, bias, y, rows, cols, s);
    case Element::kBFloat16: return launch_scale<__nv_bfloat16>(z, g, bias, y, rows, cols, s);
  }
}

int64_t scale_columns_backward_bands(Element element, int64_t rows, int64_t cols, int multiprocessors) {
  switch (element) {
    case Element::kFloat32: return backward_grid<float>(rows, cols, multiprocessors).bands;
    case Element::kFloat16: return backward_grid<__half>(rows, cols, multiprocessors).bands;
    case Element::kBFloat16: return backward_grid<__nv_bfloat16>(rows, cols, multiprocessors).bands;
  }
  return 1;
}

void scale_columns_backward(Element element, const void* dy, const void* g, const void* scaled, void* h, const float* divisor,
                            float* magnitude_grad, float* band_sums, int64_t rows, int64_t cols, int multiprocessors,
                            void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  switch (element) {
    case Element::kFloat32:
      return launch_backward<float>(dy, g, scaled, h, divisor, magnitude_grad, band_sums, rows, cols, multiprocessors, s);
    case Element::kFloat16:
      return launch_backward<__half>(dy, g, scaled, h, divisor, magnitude_grad, band_sums, rows, cols, multiprocessors, s);
    case Element::kBFloat16:
      return launch_backward<__nv_bfloat16>(dy, g, scaled, h, divisor, magnitude_grad, band_sums, rows, cols, multiprocessors, s);
  }
}

void finish_scales(Element g_element, const float* b, const float* mixed, int64_t rank, const float* base_sq,
                   const float* magnitude, float* norm, void* g, float* divisor, int64_t rows, void* stream) {
  const int blocks = static_cast<int>(std::min<int64_t>((rows + kThreads - 1) / kThreads, 65535));
  if (blocks == 0) return;
  auto s = static_cast<cudaStream_t>(stream);
  switch (g_element) {
    case Element::kFloat32:
      return finish_scales_kernel<<<blocks, kThreads, 0, s>>>(b, mixed, rank, base_sq, magnitude, norm, static_cast<float*>(g), divisor, rows);
    case Element::kFloat16:
      return finish_scales_kernel<<<blocks, kThreads, 0, s>>>(b, mixed, rank, base_sq, magnitude, norm, static_cast<__half*>(g), divisor, rows);
    case Element::kBFloat16:
      return finish_scales_kernel<<<blocks, kThreads, 0, s>>>(b, mixed, rank, base_sq, magnitude, norm, static_cast<__nv_bfloat16*>(g),
                                                              divisor, rows);
  }
}

}  // namespace vltune::adapters::cuda
