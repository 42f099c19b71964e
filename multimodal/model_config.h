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
#include "vision/vision_arch.h"

namespace vltune::multimodal {

struct ModelConfig {
  std::string path;        // the config.json read
  std::string model_type;  // llava | llama | mistral | qwen2
  std::optional<vision::VisionConfig> vision;
  std::optional<ProjectorConfig> projector;
  language::DecoderConfig text;
  int64_t image_token_index = -1;
  std::vector<int64_t> vision_feature_layers;  // llava's vision_feature_layer (an int or a list)
  std::string vision_feature_select_strategy = "default";  // default (drop CLS) | full
  bool tie_word_embeddings = false;
  torch::Dtype dtype = torch::kFloat32;  // the dtype the config says the weights are in

  bool has_vision() const { return vision.has_value(); }
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

// "float32" / "fp32" / "bfloat16" / "bf16" / "float16" / "fp16" -> dtype; throws naming `where`.
torch::Dtype parse_dtype(const std::string& name, const std::string& where);

}  // namespace vltune::multimodal
