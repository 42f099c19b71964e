#include "vision/vision_arch.h"

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
  c.hidden_size = json.integer_or("hidden_size", 768);
  c.intermediate_size = json.integer_or("intermediate_size", 3072);
  c.num_layers = json.integer_or("num_hidden_layers", 12);
  c.num_heads = json.integer_or("num_attention_heads", 12);
  c.image_size = json.integer_or("image_size", 224);
  c.patch_size = json.integer_or("patch_size", c.arch.class_token ? 32 : 16);
  c.num_channels = json.integer_or("num_channels", 3);
  c.layer_norm_eps = json.number_or("layer_norm_eps", c.arch.class_token ? 1e-5 : 1e-6);
  c.hidden_act = json.str_or("hidden_act", c.arch.default_act);
  c.use_head = c.arch.pooling_head && json.boolean_or("vision_use_head", true);
  check_activation_name(c.hidden_act, json.file() + ": key '" + json.key_path("hidden_act") + "'");
  if (c.hidden_size % c.num_heads != 0)
    json.fail_at("hidden_size", cat(c.hidden_size, " is not divisible by num_attention_heads ", c.num_heads));
  if (c.patch_size <= 0 || c.image_size % c.patch_size != 0)
    json.fail_at("patch_size", cat(c.patch_size, " must divide image_size ", c.image_size));
  return c;
}

}  // namespace vltune::vision
