// The backends this build has no headers or libraries for: a clear error instead
// (distributed/CMakeLists.txt compiles this file with VLTUNE_NO_GLOO and/or VLTUNE_NO_NCCL).
#include "core/error.h"
#include "distributed/backend.h"

namespace vltune::distributed {

#ifdef VLTUNE_NO_GLOO
std::unique_ptr<Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>&, int, int, std::chrono::milliseconds) {
  fail("[distributed] this vltune was built without Gloo (its headers, Debian's libgloo-dev, were not found): "
       "no distributed training on the CPU");
}
#endif
#ifdef VLTUNE_NO_NCCL
std::unique_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>&, int, int, std::chrono::milliseconds) {
  fail("[distributed] this vltune's LibTorch has no CUDA, so no NCCL: use distributed.backend: gloo");
}
#endif

}  // namespace vltune::distributed
