#include "core/key_layout.h"

#include "core/text.h"

namespace vltune {

std::string KeyLayout::to_module(const std::string& checkpoint_name) const {
  const KeyRule* best = nullptr;
  for (const auto& rule : rules)
    if (starts_with(checkpoint_name, rule.from) && (!best || rule.from.size() > best->from.size())) best = &rule;
  return best ? best->to + checkpoint_name.substr(best->from.size()) : "";
}

std::string KeyLayout::to_checkpoint(const std::string& module_name) const {
  for (const auto& rule : rules)
    if (starts_with(module_name, rule.to)) return rule.from + module_name.substr(rule.to.size());
  return "";
}

}  // namespace vltune
