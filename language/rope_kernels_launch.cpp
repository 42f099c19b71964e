// rope_kernels_launch.h on vltune's CUDA kernel, launched on the current stream of x's device.
#include "language/rope_kernels_launch.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <optional>

#include "language/rope_kernels.h"

namespace vltune::language::kernels {

namespace {

std::optional<::vltune::cuda::Element> element_of(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return ::vltune::cuda::Element::kFloat32;
    case torch::kFloat16: return ::vltune::cuda::Element::kFloat16;
    case torch::kBFloat16: return ::vltune::cuda::Element::kBFloat16;
    default: return std::nullopt;
  }
}

bool is_table_for(const torch::Tensor& table, const torch::Tensor& x) {
  return table.dim() == 4 && table.is_contiguous() && !table.requires_grad() && table.device() == x.device() &&
         table.scalar_type() == x.scalar_type() && (table.size(0) == 1 || table.size(0) == x.size(0)) &&
         table.size(1) == 1 && table.size(2) == x.size(2) && table.size(3) == x.size(3);
}

}  // namespace

bool rope_applies(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return x.is_cuda() && x.dim() == 4 && x.size(3) % 2 == 0 && x.stride(3) == 1 && element_of(x.scalar_type()) &&
         is_table_for(cos, x) && is_table_for(sin, x) && cos.size(0) == sin.size(0);
}

torch::Tensor rope(const torch::Tensor& x_in, const torch::Tensor& cos, const torch::Tensor& sin, bool backward) {
  const auto x = x_in.stride(-1) == 1 ? x_in : x_in.contiguous();  // a gradient may come in any layout
  TORCH_CHECK(rope_applies(x, cos, sin), "[rope] the CUDA kernel was given tensors it does not take");
  const c10::cuda::CUDAGuard guard(x.device());
  auto y = torch::empty_like(x);  // x's layout where x is dense, as the composite's result has
  if (y.stride(-1) != 1) y = torch::empty(x.sizes(), x.options());
  cuda::RopeShape shape;
  shape.batch = x.size(0), shape.heads = x.size(1), shape.length = x.size(2), shape.dim = x.size(3);
  for (int k = 0; k < 3; ++k) {
    shape.x_strides[k] = x.stride(k);
    shape.y_strides[k] = y.stride(k);
  }
  shape.table_per_batch = cos.size(0) > 1;
  cuda::rotate(*element_of(x.scalar_type()), x.data_ptr(), cos.data_ptr(), sin.data_ptr(), y.data_ptr(), shape, backward,
               at::cuda::getCurrentCUDAStream().stream());
  return y;
}

}  // namespace vltune::language::kernels
