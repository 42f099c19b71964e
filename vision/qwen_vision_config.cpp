#include "vision/qwen_vision_config.h"

#include <algorithm>

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

namespace {
void check_positive(const JsonView& json, const std::string& key, int64_t value) {
  if (value <= 0) json.fail_at(key, cat("must be positive, found ", value));
}
}  // namespace

QwenVisionConfig parse_qwen_vision_config(const JsonView& json, const std::string& model_type) {
  QwenVisionConfig c;
  c.arch = lookup_by_name(qwen_vision_archs(), model_type, [](const QwenVisionArch& a) { return a.model_type; },
                          "[vision] unsupported Qwen vision model_type");
  c.depth = json.integer("depth");
  c.hidden_size = json.integer(c.arch.width_key);
  c.num_heads = json.integer("num_heads");
  c.out_hidden_size = json.integer(c.arch.out_key);
  c.intermediate_size = c.arch.gated_mlp ? json.integer("intermediate_size")
                                         : static_cast<int64_t>(c.hidden_size * json.number_or("mlp_ratio", 4.0));
  c.in_channels = json.integer_or("in_channels", json.integer_or("in_chans", 3));
  c.patch_size = json.integer_or("patch_size", 14);
  c.temporal_patch_size = json.integer_or("temporal_patch_size", 2);
  c.spatial_merge_size = json.integer_or("spatial_merge_size", 2);
  c.hidden_act = json.str_or("hidden_act", c.arch.default_act);
  c.tokens_per_second = json.integer_or("tokens_per_second", c.tokens_per_second);
  if (const auto rope = json.optional_child("rope_parameters")) c.rope_theta = rope->number_or("rope_theta", c.rope_theta);
  for (const char* key : {"depth", "num_heads", "patch_size", "temporal_patch_size", "spatial_merge_size"})
    check_positive(json, key, json.integer_or(key, 1));
  check_positive(json, c.arch.width_key, c.hidden_size);
  check_positive(json, c.arch.out_key, c.out_hidden_size);
  if (c.hidden_size % c.num_heads != 0 || c.head_dim() % 4 != 0)
    json.fail_at(c.arch.width_key, cat(c.hidden_size, " must split into num_heads ", c.num_heads,
                                       " heads whose size is a multiple of 4 (2-D rotary embedding)"));
  if (c.arch.windows) {
    c.window_size = json.integer_or("window_size", c.window_size);
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
