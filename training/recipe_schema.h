// The recipe schema: every key a recipe may set, its type, default and meaning, as data. The
// loader validates against it and docs/recipes.md lists it key by key.
#pragma once
#include <string>
#include <vector>

namespace vltune::training {

enum class KeyType { kString, kInt, kFloat, kBool, kEnum, kList, kMap };

struct SchemaKey {
  std::string path;  // dotted: "train.lr"
  KeyType type;
  std::string default_value;  // as written in YAML; "" = none (optional or required)
  std::vector<std::string> choices;  // kEnum
  std::string meaning;
  bool required = false;
};

const std::vector<SchemaKey>& recipe_schema();

// The range of a numeric key, inclusive (a key without a row takes any finite value; no key takes
// NaN or infinity).
struct KeyBounds {
  std::string path;
  double min, max;
  std::string meaning;  // "at least 1", said in the error
};

const std::vector<KeyBounds>& recipe_bounds();

}  // namespace vltune::training
