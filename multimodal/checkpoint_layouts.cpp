#include "multimodal/checkpoint_layouts.h"

#include <algorithm>
#include <set>

namespace vltune::multimodal {

const std::vector<KeyLayout>& checkpoint_layouts() {
  static const std::vector<KeyLayout> layouts = {
      {"llava-hf hub",
       {{"language_model.model.", "language_model."},
        {"language_model.lm_head.", "lm_head."},
        {"vision_tower.vision_model.", "vision_tower."},
        {"multi_modal_projector.", "multi_modal_projector."}}},
      {"transformers 5",
       {{"language_model.model.", "language_model."},
        {"language_model.lm_head.", "lm_head."},
        {"vision_tower.", "vision_tower."},
        {"multi_modal_projector.", "multi_modal_projector."}}},
      {"model.*-nested",
       {{"model.language_model.", "language_model."},
        {"model.vision_tower.", "vision_tower."},
        {"model.vision_tower.vision_model.", "vision_tower."},
        {"model.multi_modal_projector.", "multi_modal_projector."},
        {"model.visual.", "visual."},
        {"lm_head.", "lm_head."}}},
      {"qwen2-vl hub", {{"model.", "language_model."}, {"visual.", "visual."}, {"lm_head.", "lm_head."}}},
      {"bare llama", {{"model.", "language_model."}, {"lm_head.", "lm_head."}}},
  };
  return layouts;
}

const KeyLayout& detect_layout(const std::vector<std::string>& names, const std::vector<std::string>& module_names) {
  const std::set<std::string> targets(module_names.begin(), module_names.end());
  const KeyLayout* best = &checkpoint_layouts().front();
  std::size_t best_hits = 0;
  for (const auto& layout : checkpoint_layouts()) {
    std::size_t hits = 0;
    for (const auto& name : names) hits += targets.count(layout.to_module(name));
    if (hits > best_hits) {
      best = &layout;
      best_hits = hits;
    }
  }
  return *best;
}

}  // namespace vltune::multimodal
