#include "multimodal/model_family.h"

#include "core/error.h"
#include "multimodal/llava.h"
#include "multimodal/qwen2_vl.h"

namespace vltune::multimodal {

namespace {

void build_llava(VisionLanguageModelImpl& model, torch::Dtype dtype) {
  const auto& c = model.config();
  model.vision_tower = model.register_module("vision_tower", vision::VisionTower(*c.vision, dtype));
  model.multi_modal_projector = model.register_module("multi_modal_projector", Projector(*c.projector, dtype));
}

VisualTokens encode_llava(VisionLanguageModelImpl& model, const ForwardInputs& inputs) {
  if (inputs.pixel_values_videos.defined() || inputs.image_grid_thw.defined() || inputs.video_grid_thw.defined())
    fail("[model] ", model.config().path, " is a LLaVA model: it takes pixel_values [images, channels, height, width]"
         " and no grid_thw or pixel_values_videos");
  VisualTokens out;
  if (inputs.pixel_values.defined()) out.image = out.image_features = model.image_features(inputs.pixel_values);
  return out;
}

}  // namespace

const std::vector<ModelFamily>& model_families() {
  static const std::vector<ModelFamily> families = {
      // name      model_type(s)                  fresh models export as   config            modules        tokens
      //   image token piece   patches (nullptr: frames)
      {"llava", {"llava"}, "transformers 5", read_llava, build_llava, encode_llava, "<image>", nullptr},
      {"qwen2-vl", {"qwen2_5_vl", "qwen2_vl"}, "qwen2-vl hub", read_qwen2_vl_config, build_qwen2_vl, encode_qwen2_vl,
       "<|image_pad|>", qwen2_vl_processor},
  };
  return families;
}

const ModelFamily* find_model_family(const std::string& model_type) {
  for (const auto& family : model_families())
    for (const auto& type : family.model_types)
      if (type == model_type) return &family;
  return nullptr;
}

}  // namespace vltune::multimodal
