// The Qwen2-VL and Qwen2.5-VL vision towers' config.json parts, registered as data: the two towers
// differ by a few switches (QwenVisionArch), not by separate code. Torch-free.
//
//   Qwen2.5-VL  RMSNorm, gated SiLU MLP (gate/up/down), window attention except in
//               fullatt_block_indexes, RMSNorm before the merger; width `hidden_size`, merger
//               output `out_hidden_size`
//   Qwen2-VL    LayerNorm, fc1/fc2 MLP (quick-GELU), full attention in every block, LayerNorm
//               before the merger; width `embed_dim`, merger output `hidden_size`
#pragma once
#include <string>
#include <vector>

#include "core/json_view.h"

namespace vltune::vision {

struct QwenVisionArch {
  std::string model_type;  // the top-level config.json model_type: qwen2_5_vl | qwen2_vl
  bool rms_norm;           // RMSNorm (else LayerNorm with bias) in the blocks and the merger
  bool gated_mlp;          // gate_proj/up_proj/down_proj (else fc1/fc2)
  bool windows;            // window attention outside fullatt_block_indexes
  bool timed_video;        // video time ids advance by tokens_per_second x second_per_grid_ts
  std::string width_key;   // the key holding the tower's width
  std::string out_key;     // the key holding the merger's output width
  std::string default_act;
};

const std::vector<QwenVisionArch>& qwen_vision_archs();

struct QwenVisionConfig {
  QwenVisionArch arch;
  int64_t depth = 0;
  int64_t hidden_size = 0;        // the tower's width
  int64_t intermediate_size = 0;  // the blocks' MLP width
  int64_t num_heads = 0;
  int64_t out_hidden_size = 0;    // the merger's output: the decoder's hidden size
  int64_t in_channels = 3;
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t window_size = 112;      // pixels (Qwen2.5-VL)
  int64_t tokens_per_second = 4;  // time ids per second of video (Qwen2.5-VL)
  std::vector<int64_t> fullatt_block_indexes;
  std::string hidden_act;
  double rope_theta = 10000.0;

  int64_t head_dim() const { return hidden_size / num_heads; }
  // Values per patch in pixel_values: channels x temporal patch x patch x patch.
  int64_t patch_values() const { return in_channels * temporal_patch_size * patch_size * patch_size; }
  int64_t merge_unit() const { return spatial_merge_size * spatial_merge_size; }
  // A window's side in merged tokens (window_size pixels / merge / patch).
  int64_t window_units() const { return window_size / spatial_merge_size / patch_size; }
  bool full_attention(int64_t block) const;  // no windows in this block
  // The tower's and merger's parameters (in floating point: a hostile config cannot overflow it).
  double parameter_count() const;
};

// `json` is vision_config; `model_type` the top-level one, which picks the row.
QwenVisionConfig parse_qwen_vision_config(const JsonView& json, const std::string& model_type);

}  // namespace vltune::vision
