// NCCL (CUDA tensors only), where LibTorch is built with CUDA. The header declares
// ProcessGroupNCCL only under USE_C10D_NCCL, which Torch's CMake flags may not set.
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "distributed/backend.h"

namespace vltune::distributed {

std::unique_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return std::make_unique<C10dBackend<c10d::ProcessGroupNCCL>>(
      c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options));
}

}  // namespace vltune::distributed
