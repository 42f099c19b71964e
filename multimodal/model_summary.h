// The human-readable description `vltune inspect` prints: architecture, key layout, per-component
// layer and parameter counts with dtypes, and the linear modules adapters can target.
#pragma once
#include <string>
#include <vector>

#include "multimodal/model_loader.h"

namespace vltune::multimodal {

struct LinearTarget {
  std::string component;  // vision_tower, multi_modal_projector, language_model, lm_head
  std::string leaf;       // q_proj, fc1, linear_1, ...
  int64_t count = 0;      // how many modules share the leaf name in the component
  std::string shape;      // "[out, in]" of the first one
};

std::vector<LinearTarget> adapter_targets(VisionLanguageModelImpl& model);
std::string describe_model(const LoadedModel& loaded);

}  // namespace vltune::multimodal
