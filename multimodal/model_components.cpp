#include "multimodal/model_components.h"

#include <utility>
#include <vector>

namespace vltune::multimodal {

std::string component_of(const std::string& module_path) {
  // the first matching prefix wins (the head and the merger before their towers)
  static const std::vector<std::pair<std::string, std::string>> prefixes = {
      {"vision_tower.head.", "vision_head"}, {"vision_tower.", "vision"}, {"visual.merger.", "projector"},
      {"visual.", "vision"}, {"multi_modal_projector.", "projector"}, {"language_model.", "language"}};
  for (const auto& [prefix, component] : prefixes)
    if (module_path.rfind(prefix, 0) == 0) return component;
  return module_path;
}

std::string component_of_parameter(const std::string& parameter_path) {
  const auto dot = parameter_path.rfind('.');
  return component_of(dot == std::string::npos ? parameter_path : parameter_path.substr(0, dot));
}

}  // namespace vltune::multimodal
