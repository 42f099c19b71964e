// Gloo (the CPU backend; it also takes CUDA tensors, staging them through host memory).
// The header declares ProcessGroupGloo only under USE_C10D_GLOO, which Debian's Torch CMake flags
// set and PyTorch's wheels' may not; this file is compiled only where gloo's headers were found.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "distributed/backend.h"

namespace vltune::distributed {

std::unique_ptr<Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  return std::make_unique<C10dBackend<c10d::ProcessGroupGloo>>(
      c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options));
}

}  // namespace vltune::distributed
