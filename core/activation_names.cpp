#include "core/activation_names.h"

#include <map>

#include "core/error.h"

namespace vltune {

namespace {
// Hugging Face's `hidden_act` names; aliases name the same computation.
const std::map<std::string, ActivationKind>& activation_table() {
  static const std::map<std::string, ActivationKind> table = {
      {"gelu", ActivationKind::kGelu},           {"gelu_pytorch_tanh", ActivationKind::kGeluTanh},
      {"gelu_new", ActivationKind::kGeluTanh},   {"quick_gelu", ActivationKind::kQuickGelu},
      {"silu", ActivationKind::kSilu},           {"swish", ActivationKind::kSilu},
      {"relu", ActivationKind::kRelu},
  };
  return table;
}
}  // namespace

ActivationKind activation_kind(const std::string& name, const std::string& where) {
  const auto& table = activation_table();
  if (auto it = table.find(name); it != table.end()) return it->second;
  std::string known;
  for (const auto& entry : table) known += (known.empty() ? "" : ", ") + entry.first;
  fail(where, ": unknown activation '", name, "' (known: ", known, ")");
}

}  // namespace vltune
