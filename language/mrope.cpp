#include "language/mrope.h"

#include "core/error.h"

namespace vltune::language {

std::pair<torch::Tensor, torch::Tensor> mrope_cos_sin(const torch::Tensor& inv_freq, const torch::Tensor& positions,
                                                      const std::vector<int64_t>& section, torch::Dtype dtype) {
  const int64_t half = inv_freq.size(0);
  if (positions.dim() != 3 || positions.size(0) != 3)
    fail("[language] M-RoPE position ids must be [3, batch, length], got ", positions.sizes());
  std::vector<int64_t> axis_of;  // per frequency: 0 time, 1 row, 2 column
  for (std::size_t axis = 0; axis < section.size(); ++axis) {
    if (section[axis] < 0 || section[axis] > half) fail("[language] mrope_section entry ", section[axis], " is out of range");
    axis_of.insert(axis_of.end(), static_cast<std::size_t>(section[axis]), static_cast<int64_t>(axis % 3));
  }
  if (static_cast<int64_t>(axis_of.size()) != half)
    fail("[language] mrope_section sums to ", axis_of.size(), " but the heads have ", half, " rotary frequencies");
  const auto device = positions.device();
  const auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq.to(device).view({1, 1, 1, -1});  // [3, B, L, d/2]
  const auto pick = torch::tensor(axis_of, torch::kInt64).to(device).view({1, 1, 1, -1}).expand(
      {1, freqs.size(1), freqs.size(2), half});
  const auto mixed = freqs.gather(0, pick).squeeze(0);  // [B, L, d/2]
  const auto emb = torch::cat({mixed, mixed}, -1).unsqueeze(1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

}  // namespace vltune::language
