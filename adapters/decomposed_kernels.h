// CUDA kernels for the DoRA family's per-column scale g (adapters/fused_low_rank_linear.h), each one
// pass over the [rows, cols] activations where ATen needs several: ATen multiplies by a broadcast
// vector with its generic, unvectorised kernel, and the magnitude gradient took a product, a
// reduction and a division. Plain C++ (no LibTorch): built by nvcc where LibTorch has CUDA
// (VLTUNE_CUDA_KERNELS); adapters/decomposed_elementwise.h chooses them for CUDA tensors.
// Every pointer is device memory, row-major and contiguous; `stream` is a cudaStream_t.
#pragma once
#include <cstdint>

#include "core/cuda_element.h"

namespace vltune::adapters::cuda {

using Element = ::vltune::cuda::Element;

// scaled[t, j] = g[j] · z[t, j], written over z; where `bias` is given, also y[t, j] = scaled[t, j] + bias[j].
// Each product is formed in fp32 and rounded once, as ATen's multiplication of that type rounds it.
void scale_columns(Element element, void* z, const void* g, const void* bias, void* y, int64_t rows, int64_t cols,
                   void* stream);

// h[t, j] = dy[t, j] · g[j] (rounded as above) and magnitude_grad[j] = Σ_t dy[t, j] · scaled[t, j] / divisor[j],
// summed in fp32 (divisor and magnitude_grad are fp32 [cols]) in a fixed order, so every run gives
// the same bits: each band of rows sums into its row of `band_sums` (fp32 [bands, cols], bands from
// scale_columns_backward_bands), and the bands are then added in order. `multiprocessors` sizes the grid.
int64_t scale_columns_backward_bands(Element element, int64_t rows, int64_t cols, int multiprocessors);
void scale_columns_backward(Element element, const void* dy, const void* g, const void* scaled, void* h, const float* divisor,
                            float* magnitude_grad, float* band_sums, int64_t rows, int64_t cols, int multiprocessors,
                            void* stream);

// Per row i of `rows`: norm[i] = √max(base_sq[i] + Σ_k b[i, k] · mixed[i, k], 0) (k < rank; rank 0 and null b,
// mixed for √base_sq), g[i] = magnitude[i] / norm[i] rounded to g's element type, divisor[i] = magnitude[i]
// or 1 where it is 0. Everything but g is fp32.
void finish_scales(Element g_element, const float* b, const float* mixed, int64_t rank, const float* base_sq,
                   const float* magnitude, float* norm, void* g, float* divisor, int64_t rows, void* stream);

}  // namespace vltune::adapters::cuda
