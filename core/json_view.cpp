#include "core/json_view.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace vltune {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("[json] ", path, ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    fail("[json] ", path, ": not valid JSON at byte ", e.byte, ": ", e.what());
  }
}

void JsonView::fail_at(const std::string& key, const std::string& problem) const {
  fail("[config] ", file_, ": key '", key_path(key), "': ", problem);
}

bool JsonView::has(const std::string& key) const {
  return node_->is_object() && node_->contains(key) && !(*node_)[key].is_null();
}

const nlohmann::json& JsonView::at(const std::string& key) const {
  if (!has(key)) fail_at(key, "is required but missing");
  return (*node_)[key];
}

JsonView JsonView::child(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_object()) fail_at(key, "expected an object, found " + node.dump());
  return JsonView(node, file_, key_path(key));
}

std::optional<JsonView> JsonView::optional_child(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return child(key);
}

std::string JsonView::str(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_string()) fail_at(key, "expected a string, found " + node.dump());
  return node.get<std::string>();
}

int64_t JsonView::integer(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_number_integer()) fail_at(key, "expected an integer, found " + node.dump());
  return node.get<int64_t>();
}

double JsonView::number(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_number()) fail_at(key, "expected a number, found " + node.dump());
  return node.get<double>();
}

bool JsonView::boolean(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_boolean()) fail_at(key, "expected true or false, found " + node.dump());
  return node.get<bool>();
}

std::string JsonView::str_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? str(key) : fallback;
}
int64_t JsonView::integer_or(const std::string& key, int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}
double JsonView::number_or(const std::string& key, double fallback) const {
  return has(key) ? number(key) : fallback;
}
bool JsonView::boolean_or(const std::string& key, bool fallback) const {
  return has(key) ? boolean(key) : fallback;
}

std::vector<int64_t> JsonView::integers(const std::string& key) const {
  const auto& node = at(key);
  if (node.is_number_integer()) return {node.get<int64_t>()};
  std::vector<int64_t> values;
  if (node.is_array()) {
    for (const auto& item : node) {
      if (!item.is_number_integer()) break;
      values.push_back(item.get<int64_t>());
    }
    if (values.size() == node.size() && !values.empty()) return values;
  }
  fail_at(key, "expected an integer or a non-empty list of integers, found " + node.dump());
}

}  // namespace vltune
