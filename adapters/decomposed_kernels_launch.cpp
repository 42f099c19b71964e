// decomposed_kernels_launch.h on vltune's CUDA kernels, launched on the current stream of the
// tensors' device.
#include "adapters/decomposed_kernels_launch.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "adapters/decomposed_kernels.h"

namespace vltune::adapters::kernels {

namespace {

// The kernels' element type for tensors they can take (CUDA, contiguous, one supported dtype; undefined
// ones skipped), else nothing.
std::optional<cuda::Element> kernel_element(std::initializer_list<torch::Tensor> tensors) {
  const auto type = tensors.begin()->scalar_type();
  for (const auto& t : tensors)
    if (t.defined() && (!t.is_cuda() || !t.is_contiguous() || t.scalar_type() != type)) return std::nullopt;
  switch (type) {
    case torch::kFloat32: return cuda::Element::kFloat32;
    case torch::kFloat16: return cuda::Element::kFloat16;
    case torch::kBFloat16: return cuda::Element::kBFloat16;
    default: return std::nullopt;
  }
}

bool all_fp32(std::initializer_list<torch::Tensor> tensors) { return kernel_element(tensors) == cuda::Element::kFloat32; }

void* current_stream() { return at::cuda::getCurrentCUDAStream().stream(); }

}  // namespace

std::optional<ScaledOutput> scale_columns(const torch::Tensor& z, const torch::Tensor& g, const torch::Tensor& bias) {
  const auto element = kernel_element({z, g, bias});
  if (!element) return std::nullopt;
  const c10::cuda::CUDAGuard guard(z.device());
  const int64_t cols = z.size(-1), rows = cols == 0 ? 0 : z.numel() / cols;
  const auto y = bias.defined() ? torch::empty_like(z) : z;
  cuda::scale_columns(*element, z.data_ptr(), g.data_ptr(), bias.defined() ? bias.data_ptr() : nullptr, y.data_ptr(), rows, cols,
                      current_stream());
  return ScaledOutput{z, y};
}

std::optional<ScaledGradients> scale_columns_backward(const torch::Tensor& dy, const torch::Tensor& g, const torch::Tensor& scaled,
                                                      const torch::Tensor& divisor) {
  const auto element = kernel_element({dy, g, scaled});
  if (!element || !all_fp32({divisor})) return std::nullopt;
  const c10::cuda::CUDAGuard guard(dy.device());
  auto h = torch::empty_like(dy);
  auto magnitude_grad = torch::empty_like(divisor);
  const int multiprocessors = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  const int64_t rows = dy.size(0), cols = dy.size(1);
  auto band_sums = torch::empty({cuda::scale_columns_backward_bands(*element, rows, cols, multiprocessors), cols}, divisor.options());
  cuda::scale_columns_backward(*element, dy.data_ptr(), g.data_ptr(), scaled.data_ptr(), h.data_ptr(), divisor.data_ptr<float>(),
                               magnitude_grad.data_ptr<float>(), band_sums.data_ptr<float>(), rows, cols, multiprocessors,
                               current_stream());
  return ScaledGradients{h, magnitude_grad};
}

bool write_scales(const torch::Tensor& base_sq, const FactoredNormParts& parts, const torch::Tensor& magnitude, torch::Tensor& norm,
                  torch::Tensor& g, torch::Tensor& divisor) {
  const auto element = kernel_element({g});
  if (!element || !all_fp32({base_sq, parts.b, parts.mixed, magnitude, norm, divisor})) return false;
  const c10::cuda::CUDAGuard guard(g.device());
  const bool factored = parts.b.defined();
  cuda::finish_scales(*element, factored ? parts.b.data_ptr<float>() : nullptr, factored ? parts.mixed.data_ptr<float>() : nullptr,
                      factored ? parts.b.size(1) : 0, base_sq.data_ptr<float>(), magnitude.data_ptr<float>(), norm.data_ptr<float>(),
                      g.data_ptr(), divisor.data_ptr<float>(), magnitude.size(0), current_stream());
  return true;
}

}  // namespace vltune::adapters::kernels
