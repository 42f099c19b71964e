// The HF key layouts vltune loads, as prefix maps onto its canonical module names
// (vision_tower.*, multi_modal_projector.*, language_model.*, lm_head.*):
//   llava-hf hub     language_model.model.*, language_model.lm_head.*, vision_tower.vision_model.*
//   transformers 5   language_model.model.*, language_model.lm_head.*, vision_tower.*
//   model.*-nested   model.language_model.*, model.vision_tower.* (or .vision_model.*), model.multi_modal_projector.*,
//                    model.visual.*, lm_head.*: transformers 5's in-memory names, which PEFT adapter files use
//   qwen2-vl hub     model.*, visual.*, lm_head.*   (Qwen2-VL / Qwen2.5-VL as the Hub and transformers 5 save them)
//   bare llama       model.*, lm_head.*                                  (text-only checkpoints)
#pragma once
#include <string>
#include <vector>

#include "core/key_layout.h"

namespace vltune::multimodal {

const std::vector<KeyLayout>& checkpoint_layouts();

// The layout that maps the most of `names` (checkpoint keys) onto `module_names` (ties: the first
// listed).
const KeyLayout& detect_layout(const std::vector<std::string>& names, const std::vector<std::string>& module_names);

}  // namespace vltune::multimodal
