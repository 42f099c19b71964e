#include "datasets/dataset_yaml.h"

#include <filesystem>

#include "core/error.h"
#include "core/yaml_util.h"

namespace fs = std::filesystem;

namespace vltune::datasets {

namespace {
std::string resolve(const std::string& file, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(file).parent_path() / path).lexically_normal().string();
}

std::string scalar(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsScalar()) fail("[data] ", yaml_where(file, node), ": '", key, "' must be a string");
  return node.as<std::string>();
}
}  // namespace

DatasetSpec parse_dataset_spec(const YAML::Node& node, const std::string& file) {
  if (!node.IsMap()) fail("[data] ", yaml_where(file, node), ": a dataset is a map with format and path");
  check_known_keys(file, node, {"format", "path", "media_root", "fields", "prompt"}, "a dataset");
  DatasetSpec spec;
  spec.origin = yaml_where(file, node);
  if (!node["format"] || !node["path"]) fail("[data] ", spec.origin, ": a dataset needs 'format' and 'path'");
  spec.format = scalar(node["format"], file, "format");
  spec.path = resolve(file, scalar(node["path"], file, "path"));
  if (node["media_root"]) spec.media_root = resolve(file, scalar(node["media_root"], file, "media_root"));
  if (node["prompt"]) spec.prompt = scalar(node["prompt"], file, "prompt");
  if (const auto fields = node["fields"]) {
    if (!fields.IsMap()) fail("[data] ", yaml_where(file, fields), ": 'fields' maps roles to field names");
    for (const auto& item : fields) spec.fields[item.first.as<std::string>()] = scalar(item.second, file, "fields");
  }
  return spec;
}

DeclaredDatasets read_declared_datasets(const std::string& yaml_path) {
  const auto root = load_yaml_file(yaml_path);
  if (!root.IsMap() || !root["data"]) fail("[data] ", yaml_path, ": expected a top-level 'data:' section");
  const auto data = root["data"];
  if (!data.IsMap()) fail("[data] ", yaml_where(yaml_path, data), ": 'data' must be a map");
  DeclaredDatasets declared;
  for (const auto& item : data) {
    const auto key = item.first.as<std::string>();
    if (key == "on_bad_sample") {
      const auto policy = scalar(item.second, yaml_path, key);
      if (policy != "skip" && policy != "error")
        fail("[data] ", yaml_where(yaml_path, item.second), ": on_bad_sample must be skip or error, not '", policy, "'");
      declared.on_bad_sample = policy == "skip" ? OnBadSample::kSkip : OnBadSample::kError;
    } else if (key == "train" || key == "eval") {
      if (item.second.IsSequence()) {
        for (const auto& one : item.second) declared.datasets.emplace_back(key, parse_dataset_spec(one, yaml_path));
      } else {
        declared.datasets.emplace_back(key, parse_dataset_spec(item.second, yaml_path));
      }
    }
  }
  if (declared.datasets.empty()) fail("[data] ", yaml_where(yaml_path, data), ": declares no train or eval dataset");
  return declared;
}

}  // namespace vltune::datasets
