// Helpers for reading YAML with errors that point at the spot: "recipe.yaml:14:5: ...", and a
// "did you mean" for misspelt keys.
//
// Every document read here is checked before anyone walks it: aliases are followed, so a file of a
// few lines can describe a tree of billions of nodes ("billion laughs") or a cycle (`a: &a [*a]`);
// the tree is therefore bounded in depth and in nodes counted with every alias expanded. Map keys
// must be plain scalars and unique (YAML itself requires it; yaml-cpp keeps both copies of a
// duplicate key and reads the first).
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace vltune {

struct YamlLimits {
  int64_t max_nodes = 100000;  // nodes of the tree with every alias expanded
  int max_depth = 64;          // nested maps and lists
};

// Throws "[yaml] path:line:col: ..." on syntax errors, and on the problems above.
YAML::Node load_yaml_file(const std::string& path, const YamlLimits& limits = {});
// The same for YAML text (a --set value): `where` names it in errors.
YAML::Node load_yaml_text(const std::string& text, const std::string& where, const YamlLimits& limits = {});
// The checks load_yaml_file makes (bounds, plain and unique keys), for a tree made elsewhere.
void check_yaml_tree(const YAML::Node& root, const std::string& file, const YamlLimits& limits = {});

std::string yaml_where(const std::string& file, const YAML::Node& node);  // "file:line:col"

// A node as text for messages: a scalar as written, anything else in flow style, cut at 80 bytes.
std::string yaml_text(const YAML::Node& node);

// A value of type T, or an error "[yaml] file:line:col: 'key': expected `expected`, found ...".
template <class T>
T yaml_as(const std::string& file, const YAML::Node& node, const std::string& key, const std::string& expected) {
  if (node.IsScalar()) {
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
    }
  }
  fail("[yaml] ", yaml_where(file, node), ": '", key, "': expected ", expected, ", found ", yaml_text(node));
}
// A scalar as text (numbers too, as written): the common case of yaml_as.
std::string yaml_string(const std::string& file, const YAML::Node& node, const std::string& key);

// The candidate `word` most likely meant: another tool's name for it (PEFT's r, lora_alpha,
// target_modules; the Trainer's learning_rate, max_steps, ...), else the nearest by edit distance;
// "" when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// Throws naming every key of `map` not in `allowed`, each with its position and a suggestion.
void check_known_keys(const std::string& file, const YAML::Node& map, const std::vector<std::string>& allowed,
                      const std::string& context);

}  // namespace vltune
