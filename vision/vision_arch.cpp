#include "vision/vision_arch.h"

#include "core/config_bounds.h"
#include "core/error.h"
#include "core/lookup.h"
#include "core/activation_names.h"

namespace vltune::vision {

const std::vector<VisionArch>& vision_archs() {
  static const std::vector<VisionArch> archs = {
      // model_type            class  patch  pre-LN pooling default act
      {"clip_vision_model", true, false, true, false, "quick_gelu"},
      {"siglip_vision_model", false, true, false, true, "gelu_pytorch_tanh"},
  };
  return archs;
}

const VisionArch& vision_arch(const std::string& model_type) {
  return lookup_by_name(vision_archs(), model_type, [](const VisionArch& a) { return a.model_type; },
                        "[vision] unsupported vision model_type");
}

VisionConfig parse_vision_config(const JsonView& json) {
  VisionConfig c;
  const std::string type = json.str_or("model_type", "clip_vision_model");
  try {
    c.arch = vision_arch(type);
  } catch (const Error& e) {
    json.fail_at("model_type", e.what());
  }
  c.hidden_size = bounds::integer_in(json, "hidden_size", 1, bounds::kMaxHiddenSize, 768);
  c.intermediate_size = bounds::integer_in(json, "intermediate_size", 1, bounds::kMaxIntermediateSize, 3072);
  c.num_layers = bounds::integer_in(json, "num_hidden_layers", 1, bounds::kMaxLayers, 12);
  c.num_heads = bounds::integer_in(json, "num_attention_heads", 1, bounds::kMaxHeads, 12);
  c.image_size = bounds::integer_in(json, "image_size", 1, bounds::kMaxImageSide, 224);
  c.patch_size = bounds::integer_in(json, "patch_size", 1, c.image_size, c.arch.class_token ? 32 : 16);
  c.num_channels = bounds::integer_in(json, "num_channels", 1, bounds::kMaxChannels, 3);
  c.layer_norm_eps = bounds::number_above(json, "layer_norm_eps", 0, c.arch.class_token ? 1e-5 : 1e-6);
  c.hidden_act = json.str_or("hidden_act", c.arch.default_act);
  c.use_head = c.arch.pooling_head && json.boolean_or("vision_use_head", true);
  check_activation_name(c.hidden_act, json.file() + ": key '" + json.key_path("hidden_act") + "'");
  if (c.hidden_size % c.num_heads != 0)
    json.fail_at("hidden_size", cat(c.hidden_size, " is not divisible by num_attention_heads ", c.num_heads));
  if (c.image_size % c.patch_size != 0)
    json.fail_at("patch_size", cat(c.patch_size, " must divide image_size ", c.image_size));
  return c;
}

}  // namespace vltune::vision
