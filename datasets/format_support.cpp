#include "datasets/format_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace vltune::datasets {

void BadSamples::report(const std::string& where, const std::string& problem) {
  const std::string message = where + ": " + problem;
  if (policy_ == OnBadSample::kError) fail("[dataset] ", message, " (on_bad_sample: error)");
  std::lock_guard<std::mutex> lock(mutex_);
  ++count_;
  messages_.push_back(message);
  log_warning("skipping sample " + message);
}

int64_t BadSamples::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

std::vector<std::string> BadSamples::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

std::vector<std::pair<std::string, nlohmann::json>> read_json_lines(const std::string& path, BadSamples& bad) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("[dataset] ", path, ": cannot open the file");
  std::vector<std::pair<std::string, nlohmann::json>> records;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = cat(path, ":", number);
    try {
      auto record = nlohmann::json::parse(line);
      if (!record.is_object()) {
        bad.report(where, "expected a JSON object on each line");
        continue;
      }
      records.emplace_back(where, std::move(record));
    } catch (const nlohmann::json::parse_error& e) {
      bad.report(where, cat("malformed JSON: ", e.what()));
    }
  }
  return records;
}

std::string media_root(const DatasetSpec& spec) {
  if (!spec.media_root.empty()) return spec.media_root;
  const auto parent = fs::path(spec.path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string resolve_media(const std::string& root, const std::string& relative, const std::string& where,
                          BadSamples& bad) {
  const fs::path path = fs::path(relative).is_absolute() ? fs::path(relative) : fs::path(root) / relative;
  if (!fs::exists(path)) {
    bad.report(where, cat("media file ", path.string(), " does not exist"));
    return "";
  }
  return path.string();
}

std::string with_placeholders(const std::string& text, std::size_t images, bool video) {
  std::string prefix;
  if (video && text.find("<video>") == std::string::npos) prefix += "<video>\n";
  if (images > 0 && text.find("<image>") == std::string::npos)
    for (std::size_t i = 0; i < images; ++i) prefix += "<image>\n";
  return prefix + text;
}

bool only_known_fields(const nlohmann::json& record, const std::vector<std::string>& known, const std::string& where,
                       BadSamples& bad) {
  for (const auto& item : record.items()) {
    if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
    std::string expected;
    for (const auto& name : known) expected += (expected.empty() ? "" : ", ") + name;
    bad.report(where, cat("unknown field '", item.key(), "' (expected ", expected, ")"));
    return false;
  }
  return true;
}

std::string string_field(const nlohmann::json& record, const std::string& key, const std::string& where,
                         BadSamples& bad, bool* ok) {
  if (!record.contains(key) || record[key].is_null()) return "";
  if (!record[key].is_string()) {
    bad.report(where, cat("field '", key, "' must be a string, found ", record[key].dump()));
    *ok = false;
    return "";
  }
  return record[key].get<std::string>();
}

}  // namespace vltune::datasets
