// Multimodal RoPE (Qwen2-VL, Qwen2.5-VL): each token has three positions (time, row, column) and
// the rotary frequencies are split into mrope_section = [s_t, s_h, s_w] consecutive groups
// (s_t + s_h + s_w = head_dim / 2): frequency j turns with the time position when j < s_t, with the
// row position in the next s_h, with the column position in the last s_w. Text tokens carry equal
// positions on all three axes, which makes this plain RoPE. Position ids: language/mrope_positions.h.
#pragma once
#include <torch/torch.h>

#include <utility>
#include <vector>

namespace vltune::language {

// cos and sin for positions [3, B, L], shaped [B, 1, L, head_dim] in `dtype`, as rope_cos_sin.
std::pair<torch::Tensor, torch::Tensor> mrope_cos_sin(const torch::Tensor& inv_freq, const torch::Tensor& positions,
                                                      const std::vector<int64_t>& section, torch::Dtype dtype);

}  // namespace vltune::language
