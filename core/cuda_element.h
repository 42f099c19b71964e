// The element types vltune's own CUDA kernels take (adapters/decomposed_kernels.h,
// language/rope_kernels.h). Plain C++: the kernels' headers are compiled by nvcc without LibTorch.
#pragma once

namespace vltune::cuda {

enum class Element { kFloat32, kFloat16, kBFloat16 };

}  // namespace vltune::cuda
