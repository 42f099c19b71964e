// Vision-language model families as data. What differs between LLaVA and Qwen2-VL (the vision
// side and its modules, the config.json parts, how image/video tokens become embeddings, the
// position ids) is one row of model_families(), chosen by config.json's model_type. The shared
// assembly (multimodal/llava.h: embeddings, decoder, lm_head, loss) calls a row's functions and
// knows no family; nor do generation, training, placement and PEFT I/O. A model_type without a
// row is a text-only decoder (language/decoder_arch.h). Adding a family: docs/add-a-model.md.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "core/json_view.h"
#include "multimodal/model_config.h"
#include "vision/qwen_image_processor.h"

namespace vltune::multimodal {

class VisionLanguageModelImpl;
struct ForwardInputs;

// What a family's vision side hands the decoder for one forward.
struct VisualTokens {
  torch::Tensor image;           // the image tokens [images, tokens, hidden] (or [1, all, hidden]), in text order
  torch::Tensor video;           // the video tokens [1, all, hidden], in text order (undefined: none)
  torch::Tensor image_features;  // what forward() reports as image_features
  torch::Tensor position_ids;    // [3, batch, length] for M-RoPE; undefined: positions 0..L-1
};

struct ModelFamily {
  std::string name;                      // for messages and `vltune inspect`
  std::vector<std::string> model_types;  // config.json model_type values it reads
  std::string saved_layout;              // the key layout a fresh (random-init) model is exported in
  // Reads the family's config.json (`json` is the top level) into `config`.
  void (*read_config)(const JsonView& json, ModelConfig& config);
  // Registers the family's vision modules on the model, under the canonical names.
  void (*build)(VisionLanguageModelImpl& model, torch::Dtype dtype);
  // The visual tokens (and M-RoPE positions) for the inputs.
  VisualTokens (*encode)(VisionLanguageModelImpl& model, const ForwardInputs& inputs);
  // The data pipeline's side (training/run_setup.cpp, datasets/prepare.h). The tokenizer piece
  // that must hold image_token_index when the id lies inside the tokenizer's vocabulary:
  std::string image_token_piece;
  // Images as patches + grids through the model's own processor (the folder's
  // preprocessor_config.json over the tower's defaults); nullptr: fixed-size frames
  // (vision/image_processor.h). The placeholders' runs are then wrapped in the config's
  // vision_start / vision_end ids and videos take video_token_index.
  vision::QwenProcessorConfig (*patch_processor)(const ModelConfig& config, const std::string& model_dir);
};

const std::vector<ModelFamily>& model_families();
const ModelFamily* find_model_family(const std::string& model_type);  // nullptr: a text-only decoder

}  // namespace vltune::multimodal
