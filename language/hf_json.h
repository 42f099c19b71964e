// Path-aware reading of a Hugging Face tokenizer.json: every error names the file and the JSON
// path of the value ("model.merges[12]", "added_tokens[3].id") and says what was expected.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vltune::language {

class HfJson {
 public:
  HfJson(const nlohmann::json& node, const std::string& file, std::string path = "")
      : node_(&node), file_(&file), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& problem) const;  // "[tokenizer] FILE: PATH: problem"
  bool has(const std::string& key) const;                    // present and not null
  HfJson at(const std::string& key) const;                   // required, not null
  std::optional<HfJson> find(const std::string& key) const;  // nullopt when absent or null
  std::vector<HfJson> items() const;                         // the elements of an array
  std::vector<std::pair<std::string, HfJson>> members() const;  // the members of an object

  std::string str() const;
  bool boolean() const;
  int64_t integer() const;  // a non-negative integer
  std::string str(const std::string& key) const { return at(key).str(); }
  std::string str_or(const std::string& key, const std::string& fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  std::string type() const { return str("type"); }  // a component's "type"

  bool is_string() const { return node_->is_string(); }
  bool is_object() const { return node_->is_object(); }
  bool is_array() const { return node_->is_array(); }
  const nlohmann::json& raw() const { return *node_; }
  const std::string& path() const { return path_; }
  std::string where() const { return *file_ + ": " + path_; }  // for messages made elsewhere
  const std::string& file() const { return *file_; }

 private:
  std::string child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const nlohmann::json* node_;
  const std::string* file_;
  std::string path_;
};

// Builds the component a JSON object's "type" names from a table of factories; a type missing from
// the table is refused naming the file and path ("decoder type 'CTC' is not implemented").
template <class Component>
Component make_from_table(const HfJson& node, const std::map<std::string, Component (*)(const HfJson&)>& table,
                          const std::string& what) {
  const auto type = node.type();
  const auto it = table.find(type);
  if (it == table.end()) {
    std::string known;
    for (const auto& row : table) known += (known.empty() ? "" : ", ") + row.first;
    node.fail(what + " type '" + type + "' is not implemented by vltune (it reads " + known + ")");
  }
  return it->second(node);
}

// A Sequence component: the ones listed under `key`, applied in order.
template <class Value>
std::function<void(Value&)> sequence_of(const HfJson& node, const std::string& key,
                                        std::function<void(Value&)> (*make)(const HfJson&)) {
  std::vector<std::function<void(Value&)>> steps;
  for (const auto& item : node.at(key).items()) steps.push_back(make(item));
  return [steps](Value& value) {
    for (const auto& step : steps) step(value);
  };
}

}  // namespace vltune::language
