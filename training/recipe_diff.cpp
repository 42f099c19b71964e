#include "training/recipe_diff.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <map>
#include <set>

#include "training/recipe_schema.h"

namespace vltune::training {

namespace {

const char* const kNotSet = "(not set)";

// A leaf as one line of YAML: a scalar as written, a list (or an empty map) in flow style.
std::string leaf_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return "null";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// Every leaf of a resolved recipe by dotted key; maps are descended, lists are leaves.
void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& leaves) {
  if (!node.IsMap() || node.size() == 0) {
    if (!prefix.empty()) leaves[prefix] = leaf_text(node);
    return;
  }
  for (const auto& entry : node) flatten(entry.second, prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar(), leaves);
}

std::map<std::string, std::string> leaves_of(const Recipe& recipe, const std::string& run_dir) {
  std::map<std::string, std::string> leaves;
  flatten(YAML::Load(recipe.resolved_yaml(run_dir)), "", leaves);
  return leaves;
}

// A key's value, or the schema's default when the recipe leaves it unset.
std::string value_of(const std::map<std::string, std::string>& leaves, const std::string& key) {
  if (const auto it = leaves.find(key); it != leaves.end()) return it->second;
  for (const auto& entry : recipe_schema())
    if (entry.path == key && !entry.default_value.empty()) return entry.default_value;
  return kNotSet;
}

bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char *end_a = nullptr, *end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

}  // namespace

std::vector<RecipeChange> recipe_changes(const Recipe& run, const Recipe& changed, const std::string& run_dir) {
  const auto before = leaves_of(run, run_dir), after = leaves_of(changed, run_dir);
  std::set<std::string> keys;
  for (const auto* leaves : {&before, &after})
    for (const auto& [key, value] : *leaves) keys.insert(key);
  std::vector<RecipeChange> changes;
  for (const auto& key : keys) {
    const auto old_value = value_of(before, key), new_value = value_of(after, key);
    if (same_value(old_value, new_value)) continue;
    changes.push_back({key, old_value, new_value, after.count(key) ? changed.where(key) : ""});
  }
  return changes;
}

std::string describe_changes(const std::vector<RecipeChange>& changes) {
  std::string text;
  for (const auto& c : changes)
    text += (text.empty() ? "" : "; ") + c.key + ": " + c.before + " in the run, " + c.after + " now" +
            (c.where.empty() ? "" : " (" + c.where + ")");
  return text;
}

}  // namespace vltune::training
