// The Qwen2-VL and Qwen2.5-VL family (a row of model_families()): config.json, the vision tower
// under "visual", image and video tokens, and M-RoPE position ids as transformers' get_rope_index
// computes them (language/mrope_positions.h holds the arithmetic).
//
// config.json: transformers 5 nests the decoder in text_config (model_type qwen2_5_vl_text); the
// Hub's older configs keep its keys at the top level. mrope_section comes from rope_parameters or
// the older rope_scaling, and must sum to head_dim / 2.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/json_view.h"
#include "multimodal/model_family.h"
#include "vision/qwen_vision_grid.h"

namespace vltune::multimodal {

void read_qwen2_vl_config(const JsonView& json, ModelConfig& config);
void build_qwen2_vl(VisionLanguageModelImpl& model, torch::Dtype dtype);
VisualTokens encode_qwen2_vl(VisionLanguageModelImpl& model, const ForwardInputs& inputs);
// The processor the data pipeline prepares images and clips with (MODEL_DIR/preprocessor_config.json).
vision::QwenProcessorConfig qwen2_vl_processor(const ModelConfig& config, const std::string& model_dir);

// A grid_thw tensor [n, 3] as patch grids; `what` names it in errors. Undefined -> none.
std::vector<vision::PatchGrid> patch_grids(const torch::Tensor& grid_thw, const std::string& what);

// get_rope_index: [3, B, L] int64 on the ids' device. attention_mask may be undefined (all tokens);
// a packed row's (samples numbered 1, 2, ...: training/packing.h) gives each sample its own positions.
// second_per_grid_ts (may be undefined) gives each video's seconds per temporal patch.
torch::Tensor qwen2_vl_position_ids(const ModelConfig& config, const torch::Tensor& input_ids,
                                    const torch::Tensor& attention_mask, const std::vector<vision::PatchGrid>& images,
                                    const std::vector<vision::PatchGrid>& videos,
                                    const torch::Tensor& second_per_grid_ts);

}  // namespace vltune::multimodal
