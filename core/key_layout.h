// How a checkpoint's tensor names map onto vltune's module names: prefix rewrites, as data
// (multimodal/checkpoint_layouts.cpp lists the layouts). Plain: no LibTorch.
#pragma once
#include <string>
#include <vector>

namespace vltune {

// Prefix rewrites between checkpoint names and module names. Reading, the longest matching
// checkpoint prefix wins (so one layout can accept "a.b.x" and "a.x"); writing, the first rule
// whose module prefix matches wins (the preferred spelling comes first).
struct KeyRule {
  std::string from;
  std::string to;
};

struct KeyLayout {
  std::string name;  // "llava-hf hub", "transformers 5", ...
  std::vector<KeyRule> rules;
  // The module name for a checkpoint name, or "" when no rule applies.
  std::string to_module(const std::string& checkpoint_name) const;
  std::string to_checkpoint(const std::string& module_name) const;  // the inverse, for export
};

}  // namespace vltune
