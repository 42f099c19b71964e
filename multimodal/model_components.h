// The component a model's module or parameter belongs to, by its canonical path: the names
// `vltune inspect` prints and placement rules accept (`component:` in adapters/placement_rules.h).
// Plain (no LibTorch).
//
//   canonical path prefix      component
//   vision_tower.head.         vision_head   (SigLIP's pooling head, which LLaVA never runs)
//   vision_tower., visual.     vision        (CLIP/SigLIP; the Qwen2-VL towers)
//   visual.merger.             projector     (Qwen's patch merger)
//   multi_modal_projector.     projector     (LLaVA's MLP)
//   language_model.            language
//   anything else              the path itself (lm_head)
#pragma once
#include <string>

namespace vltune::multimodal {

std::string component_of(const std::string& module_path);

// A parameter's component: that of its module (lm_head.weight -> lm_head).
std::string component_of_parameter(const std::string& parameter_path);

}  // namespace vltune::multimodal
