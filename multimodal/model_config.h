// A model folder's config.json, read into the parts vltune builds: an optional vision tower and
// projector (model_type llava) and a LLaMA-family decoder (llava's text_config, or a top-level
// llama / mistral / qwen2 config for text-only models).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "language/decoder_arch.h"
#include "multimodal/projector.h"
#include "vision/qwen_vision_config.h"
#include "vision/vision_arch.h"

namespace vltune::multimodal {

struct ModelConfig {
  std::string path;        // the config.json read
  std::string model_type;  // llava | qwen2_5_vl | qwen2_vl | llama | mistral | qwen2
  std::optional<vision::VisionConfig> vision;  // LLaVA's CLIP / SigLIP tower
  std::optional<ProjectorConfig> projector;
  std::optional<vision::QwenVisionConfig> qwen_vision;  // Qwen2-VL / Qwen2.5-VL's tower and merger
  language::DecoderConfig text;
  int64_t image_token_index = -1;
  int64_t video_token_index = -1;  // Qwen: video placeholders (LLaVA's videos use image tokens)
  int64_t vision_start_token_id = -1, vision_end_token_id = -1;  // Qwen: around each image/video
  std::vector<int64_t> vision_feature_layers;  // llava's vision_feature_layer (an int or a list)
  std::string vision_feature_select_strategy = "default";  // default (drop CLS) | full
  bool tie_word_embeddings = false;
  torch::Dtype dtype = torch::kFloat32;  // the dtype the config says the weights are in

  bool has_vision() const { return vision.has_value(); }  // a LLaVA tower
  bool multimodal() const { return vision || qwen_vision; }  // any vision side: PEFT files nest under model.*
  int64_t tokens_per_image() const;  // visual tokens each image expands to
  // The parameters the model this config describes holds (computed in floating point, so a hostile
  // config cannot overflow it): checked against sane bounds and the checkpoint before allocating.
  double parameter_count() const;
};

// Reads MODEL_DIR/config.json; throws naming the key for a malformed value, or when the model it
// describes exceeds bounds::kMaxParameters.
ModelConfig read_model_config(const std::string& model_dir);
// The same for a config.json already parsed; `path` names it in errors.
ModelConfig parse_model_config(const nlohmann::json& document, const std::string& path);

void read_llava(const JsonView& json, ModelConfig& config);  // model_type llava's parts

// "float32" / "fp32" / "bfloat16" / "bf16" / "float16" / "fp16" -> dtype; throws naming `where`.
torch::Dtype parse_dtype(const std::string& name, const std::string& where);

}  // namespace vltune::multimodal
