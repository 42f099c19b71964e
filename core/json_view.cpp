#include "core/json_view.h"

#include "core/error.h"

namespace vltune {

namespace {
// Scans brackets outside strings; malformed text is left for the parser to report.
void check_json_depth(std::string_view text, const std::string& where) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        fail(where, ": arrays and objects nest deeper than ", kMaxJsonDepth, " levels at byte ", i);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}
}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& where) {
  check_json_depth(text, where);
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    fail(where, " is not valid JSON at byte ", e.byte, ": ", e.what());
  } catch (const nlohmann::json::exception& e) {  // a number beyond a double (1e400): out_of_range
    fail(where, " is not usable JSON: ", e.what());
  }
}

nlohmann::json read_json_file(const std::string& path, uint64_t max_bytes) {
  return parse_json_text(read_file_limited(path, max_bytes, "[json]"), "[json] " + path);
}

namespace {
// A value for a message, cut short: a hostile file may hold megabytes in one string, or a list
// nested thousands deep (never dumped whole, so never walked by recursion).
std::string shown(const nlohmann::json& node) {
  if (node.is_object()) return cat("an object of ", node.size(), " key(s)");
  if (node.is_array()) return cat("a list of ", node.size(), " item(s)");
  auto text = node.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

[[noreturn]] void throw_at(const std::string& file, const std::string& key_path, const std::string& problem) {
  const auto detail = key_path.empty() ? problem : cat("key '", key_path, "': ", problem);
  throw JsonTypeError(cat("[config] ", file, ": ", detail), detail);
}
}  // namespace

void JsonView::fail_at(const std::string& key, const std::string& problem) const { throw_at(file_, key_path(key), problem); }

void JsonView::fail_here(const std::string& problem) const { throw_at(file_, path_, problem); }

bool JsonView::has(const std::string& key) const {
  return node_->is_object() && node_->contains(key) && !(*node_)[key].is_null();
}

const nlohmann::json& JsonView::at(const std::string& key) const {
  if (!has(key)) fail_at(key, "is required but missing");
  return (*node_)[key];
}

JsonView JsonView::child(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_object()) fail_at(key, "expected an object, found " + shown(node));
  return JsonView(node, file_, key_path(key));
}

std::optional<JsonView> JsonView::optional_child(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return child(key);
}

std::string JsonView::str(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_string()) fail_at(key, "expected a string, found " + shown(node));
  return node.get<std::string>();
}

int64_t JsonView::integer(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_number_integer()) fail_at(key, "expected an integer, found " + shown(node));
  return node.get<int64_t>();
}

double JsonView::number(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_number()) fail_at(key, "expected a number, found " + shown(node));
  return node.get<double>();
}

bool JsonView::boolean(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_boolean()) fail_at(key, "expected true or false, found " + shown(node));
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
  fail_at(key, "expected an integer or a non-empty list of integers, found " + shown(node));
}

std::string JsonView::text_or_empty(const std::string& key) const {
  if (!has(key)) return "";
  const auto& node = at(key);
  if (node.is_string()) return node.get<std::string>();
  if (node.is_number()) return node.dump();
  fail_at(key, "expected a string or a number, found " + shown(node));
}

std::vector<JsonView> JsonView::items(const std::string& key) const {
  const auto& node = at(key);
  if (!node.is_array()) fail_at(key, "expected a list, found " + shown(node));
  std::vector<JsonView> views;
  views.reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) views.emplace_back(node[i], file_, cat(key_path(key), "[", i, "]"));
  return views;
}

std::vector<JsonView> JsonView::items_or_empty(const std::string& key) const {
  return has(key) ? items(key) : std::vector<JsonView>{};
}

const JsonView& JsonView::object() const {
  if (!node_->is_object()) fail_here("expected an object, found " + shown(*node_));
  return *this;
}

std::string JsonView::string_value() const {
  if (!node_->is_string()) fail_here("expected a string, found " + shown(*node_));
  return node_->get<std::string>();
}

}  // namespace vltune
