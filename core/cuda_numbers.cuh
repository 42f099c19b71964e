// Device helpers shared by vltune's CUDA kernels: an element widened to fp32 and an fp32 value
// rounded to nearest (even) in an element type, which is how ATen's elementwise ops of that type
// round each result.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace vltune::cuda {

__device__ __forceinline__ float widen(float v) { return v; }
__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T narrow(float v);
template <> __device__ __forceinline__ float narrow<float>(float v) { return v; }
template <> __device__ __forceinline__ __half narrow<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

}  // namespace vltune::cuda
