// Gloo (the CPU backend; it also takes CUDA tensors, staging them through host memory).
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
