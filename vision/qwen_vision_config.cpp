#include "vision/qwen_vision_config.h"

#include <algorithm>

#include "core/config_bounds.h"
#include "core/error.h"
#include "core/lookup.h"

namespace vltune::vision {

const std::vector<QwenVisionArch>& qwen_vision_archs() {
  static const std::vector<QwenVisionArch> archs = {
      // model_type   RMS    gated  windows timed  width_key     out_key            default act
      {"qwen2_5_vl", true, true, true, true, "hidden_size", "out_hidden_size", "silu"},
      {"qwen2_vl", false, false, false, false, "embed_dim", "hidden_size", "quick_gelu"},
  };
  return archs;
}

bool QwenVisionConfig::full_attention(int64_t block) const {
  return !arch.windows ||
         std::find(fullatt_block_indexes.begin(), fullatt_block_indexes.end(), block) != fullatt_block_indexes.end();
}

double QwenVisionConfig::parameter_count() const {
  const double width = static_cast<double>(hidden_size), inter = static_cast<double>(intermediate_size);
  const double merged = width * static_cast<double>(merge_unit());
  const double block = 4 * width * width + (arch.gated_mlp ? 3 : 2) * width * inter;
  return static_cast<double>(patch_values()) * width + static_cast<double>(depth) * block + merged * merged +
         merged * static_cast<double>(out_hidden_size);
}

QwenVisionConfig parse_qwen_vision_config(const JsonView& json, const std::string& model_type) {
  using bounds::integer_in;
  QwenVisionConfig c;
  c.arch = lookup_by_name(qwen_vision_archs(), model_type, [](const QwenVisionArch& a) { return a.model_type; },
                          "[vision] unsupported Qwen vision model_type");
  c.depth = integer_in(json, "depth", 1, bounds::kMaxLayers);
  c.hidden_size = integer_in(json, c.arch.width_key, 1, bounds::kMaxHiddenSize);
  c.num_heads = integer_in(json, "num_heads", 1, bounds::kMaxHeads);
  c.out_hidden_size = integer_in(json, c.arch.out_key, 1, bounds::kMaxHiddenSize);
  c.intermediate_size =
      c.arch.gated_mlp ? integer_in(json, "intermediate_size", 1, bounds::kMaxIntermediateSize)
                       : static_cast<int64_t>(c.hidden_size * bounds::number_above(json, "mlp_ratio", 0, 4.0));
  if (c.intermediate_size < 1 || c.intermediate_size > bounds::kMaxIntermediateSize)
    json.fail_at("mlp_ratio", cat("gives an MLP width of ", c.intermediate_size, ", out of range [1, ",
                                  bounds::kMaxIntermediateSize, "]"));
  c.in_channels = integer_in(json, json.has("in_channels") ? "in_channels" : "in_chans", 1, bounds::kMaxChannels, 3);
  c.patch_size = integer_in(json, "patch_size", 1, bounds::kMaxImageSide, 14);
  c.temporal_patch_size = integer_in(json, "temporal_patch_size", 1, bounds::kMaxImageSide, 2);
  c.spatial_merge_size = integer_in(json, "spatial_merge_size", 1, bounds::kMaxImageSide, 2);
  c.hidden_act = json.str_or("hidden_act", c.arch.default_act);
  c.tokens_per_second = integer_in(json, "tokens_per_second", 1, bounds::kMaxPositions, c.tokens_per_second);
  if (const auto rope = json.optional_child("rope_parameters"))
    c.rope_theta = bounds::number_above(*rope, "rope_theta", 0, c.rope_theta);
  if (c.hidden_size % c.num_heads != 0 || c.head_dim() % 4 != 0)
    json.fail_at(c.arch.width_key, cat(c.hidden_size, " must split into num_heads ", c.num_heads,
                                       " heads whose size is a multiple of 4 (2-D rotary embedding)"));
  if (c.arch.windows) {
    c.window_size = integer_in(json, "window_size", 1, bounds::kMaxImageSide, c.window_size);
    if (c.window_units() <= 0)
      json.fail_at("window_size", cat(c.window_size, " is smaller than one merged token (",
                                      c.spatial_merge_size * c.patch_size, " pixels)"));
    if (json.has("fullatt_block_indexes")) c.fullatt_block_indexes = json.integers("fullatt_block_indexes");
    for (int64_t block : c.fullatt_block_indexes)
      if (block < 0 || block >= c.depth)
        json.fail_at("fullatt_block_indexes", cat(block, " is not a block of a tower of depth ", c.depth));
  }
  return c;
}

}  // namespace vltune::vision
