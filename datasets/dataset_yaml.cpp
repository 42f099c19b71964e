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
  if (!node.IsScalar()) fail("[dataset] ", yaml_where(file, node), ": '", key, "' must be a string");
  return node.Scalar();
}

// A path or a list of paths, each resolved against `file`'s folder.
std::vector<std::string> paths(const YAML::Node& node, const std::string& file, const std::string& key) {
  std::vector<std::string> out;
  if (!node.IsSequence()) return {resolve(file, scalar(node, file, key))};
  for (const auto& item : node) out.push_back(resolve(file, scalar(item, file, key)));
  return out;
}
}  // namespace

DatasetSpec parse_dataset_spec(const YAML::Node& node, const std::string& file) {
  if (!node.IsMap()) fail("[dataset] ", yaml_where(file, node), ": a dataset is a map with format and path");
  check_known_keys(file, node, {"format", "path", "media_root", "allow_media_from", "fields", "prompt"}, "a dataset");
  DatasetSpec spec;
  spec.origin = yaml_where(file, node);
  if (!node["format"] || !node["path"]) fail("[dataset] ", spec.origin, ": a dataset needs 'format' and 'path'");
  spec.format = scalar(node["format"], file, "format");
  spec.path = resolve(file, scalar(node["path"], file, "path"));
  if (node["media_root"]) spec.media_root = resolve(file, scalar(node["media_root"], file, "media_root"));
  if (node["allow_media_from"]) spec.allow_media_from = paths(node["allow_media_from"], file, "allow_media_from");
  if (node["prompt"]) spec.prompt = scalar(node["prompt"], file, "prompt");
  if (const auto fields = node["fields"]) {
    if (!fields.IsMap()) fail("[dataset] ", yaml_where(file, fields), ": 'fields' maps roles to field names");
    for (const auto& item : fields) spec.fields[scalar(item.first, file, "fields")] = scalar(item.second, file, "fields");
  }
  return spec;
}

}  // namespace vltune::datasets
