// A recipe: the whole experiment in one YAML file (schema in recipe_schema.cpp, docs/recipes.md).
//
// Loading resolves `extends:` (the base recipe's keys are defaults; maps merge key by key, other
// values replace), applies `--set a.b=value` overrides (the value read as YAML, so 1e-4 is a
// number), then validates everything at once: unknown keys (with "did you mean"), wrong types or
// choices, missing required keys, and the adapters and datasets sections, each error with the
// file:line:column (or the --set) it came from.
#pragma once
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

namespace vltune::training {

class Recipe {
 public:
  static Recipe load(const std::string& path, const std::vector<std::string>& overrides = {});

  const std::string& path() const { return path_; }
  const YAML::Node& root() const { return root_; }

  // Values by dotted key, falling back to the schema's default.
  std::string str(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  bool has(const std::string& key) const;
  // A path value resolved against the folder of the recipe file that set it.
  std::string file_path(const std::string& key) const;
  // "file:line:col" (or "--set key=value") where a key was set.
  std::string where(const std::string& key) const;
  // The recipe file that set a key (paths inside its value resolve against its folder).
  std::string origin_file(const std::string& key) const;
  YAML::Node find(const std::string& key) const;  // the node at a dotted key (undefined if unset)
  // The merged recipe (extends and --set applied) as YAML, every file path made absolute, so it
  // runs from anywhere, with output.dir set to `run_dir`: what a run directory keeps as recipe.yaml.
  std::string resolved_yaml(const std::string& run_dir) const;

 private:
  std::string path_;
  YAML::Node root_;
  std::map<std::string, std::string> origin_;  // dotted key -> file (or "--set ...") that set it
};

}  // namespace vltune::training
