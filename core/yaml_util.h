// Helpers for reading YAML with errors that point at the spot: "recipe.yaml:14:5: ...", and a
// "did you mean" for misspelt keys.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace vltune {

YAML::Node load_yaml_file(const std::string& path);  // throws "[yaml] path:line:col: ..." on syntax errors

std::string yaml_where(const std::string& file, const YAML::Node& node);  // "file:line:col"

// The candidate closest to `word` by edit distance, or "" when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// Throws naming every key of `map` not in `allowed`, each with its position and a suggestion.
void check_known_keys(const std::string& file, const YAML::Node& map, const std::vector<std::string>& allowed,
                      const std::string& context);

}  // namespace vltune
