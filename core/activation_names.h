// The activation functions config.json files name (`hidden_act`), as a table from Hugging Face's
// names to one kind each. Plain (no LibTorch): the config readers check names with it, and
// core/layers.cpp computes each kind.
#pragma once
#include <string>

namespace vltune {

enum class ActivationKind { kGelu, kGeluTanh, kQuickGelu, kSilu, kRelu };

// The kind `name` denotes; throws naming `where` and listing the known names when it is unknown.
ActivationKind activation_kind(const std::string& name, const std::string& where);

inline void check_activation_name(const std::string& name, const std::string& where) { activation_kind(name, where); }

}  // namespace vltune
