// rope_kernels_launch.h where vltune was built without its CUDA kernels: RoPE stays ATen's composite.
#include "language/rope_kernels_launch.h"

#include "core/error.h"

namespace vltune::language::kernels {

bool rope_applies(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) { return false; }

torch::Tensor rope(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, bool) {
  fail("[rope] this build has no CUDA kernels (rope_applies is false here)");
}

}  // namespace vltune::language::kernels
