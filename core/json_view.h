// Typed, path-aware access to JSON documents such as HF config.json. Every error names the file
// and the dotted key, and says what was expected:
//   "[config] m/config.json: key 'text_config.hidden_size': expected an integer, found "64x""
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/file_read.h"

namespace vltune {

// What JsonView throws. what() is the whole message (file, key path, problem); detail() is
// "key 'conversations[1].from': expected a string, found 5", for callers that name the place
// themselves (a dataset reporting a bad sample at "file[3]").
class JsonTypeError : public Error {
 public:
  JsonTypeError(const std::string& message, std::string detail) : Error(message), detail_(std::move(detail)) {}
  const std::string& detail() const { return detail_; }

 private:
  std::string detail_;
};

// Deepest nesting of arrays and objects accepted. Real configs nest a few levels; the bound keeps
// a hostile document from exhausting the stack when a value is printed in an error message.
inline constexpr int kMaxJsonDepth = 100;

// Parses `text`, refusing nesting beyond kMaxJsonDepth; throws "<where> is not valid JSON at byte
// N: ..." or "<where>: arrays and objects nest deeper than ...".
nlohmann::json parse_json_text(std::string_view text, const std::string& where);

// Reads and parses a regular file of at most `max_bytes` (config readers pass kMaxConfigFileBytes);
// throws naming the file and position.
nlohmann::json read_json_file(const std::string& path, uint64_t max_bytes = kMaxDataFileBytes);

class JsonView {
 public:
  JsonView(const nlohmann::json& node, std::string file, std::string key_path = "")
      : node_(&node), file_(std::move(file)), path_(std::move(key_path)) {}

  bool has(const std::string& key) const;  // present and not null
  JsonView child(const std::string& key) const;  // must be an object
  std::optional<JsonView> optional_child(const std::string& key) const;

  std::string str(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string str_or(const std::string& key, const std::string& fallback) const;
  int64_t integer_or(const std::string& key, int64_t fallback) const;
  double number_or(const std::string& key, double fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  // An integer or a list of integers (e.g. vision_feature_layer, eos_token_id).
  std::vector<int64_t> integers(const std::string& key) const;
  // A string, or a number written out (ids are either); "" when absent.
  std::string text_or_empty(const std::string& key) const;
  // A list, each item a view whose key path ends in [i] (errors then name "conversations[2].from");
  // items_or_empty gives {} when the key is absent.
  std::vector<JsonView> items(const std::string& key) const;
  std::vector<JsonView> items_or_empty(const std::string& key) const;
  // This value itself, which must be an object (a list item, say); or a string.
  const JsonView& object() const;
  std::string string_value() const;

  const nlohmann::json& raw() const { return *node_; }
  const std::string& file() const { return file_; }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void fail_at(const std::string& key, const std::string& problem) const;
  [[noreturn]] void fail_here(const std::string& problem) const;  // about this value itself

 private:
  const nlohmann::json& at(const std::string& key) const;  // throws when missing or null
  const nlohmann::json* node_;
  std::string file_;
  std::string path_;
};

}  // namespace vltune
