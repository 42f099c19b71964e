#include "datasets/format_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace vltune::datasets {

bool BadSamples::add(const std::string& message) {
  if (!seen_.insert(message).second) return false;  // met again in a later epoch: reported once
  ++count_;
  messages_.push_back(message);
  return true;
}

void BadSamples::report(const std::string& where, const std::string& problem) {
  const std::string message = where + ": " + problem;
  if (policy_ == OnBadSample::kError) fail("[dataset] ", message, " (on_bad_sample: error)");
  std::lock_guard<std::mutex> lock(mutex_);
  if (add(message)) log_warning("skipping sample " + message);
}

void BadSamples::report_missing_media(const std::string& where, const std::string& path) {
  const std::string message = cat(where, ": media file ", path, " does not exist");
  if (policy_ == OnBadSample::kError) fail("[dataset] ", message, " (on_bad_sample: error)");
  std::lock_guard<std::mutex> lock(mutex_);
  if (!add(message)) return;
  ++missing_;
  if (missing_examples_.size() < 3) missing_examples_.push_back(path);
}

void BadSamples::log_missing_media(const std::string& file, const std::string& media_root) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (missing_ == 0) return;
  std::string examples;
  for (const auto& path : missing_examples_) examples += (examples.empty() ? "" : ", ") + path;
  log_warning(cat("skipping ", missing_, " sample", missing_ == 1 ? "" : "s", " of ", file, ": their media file does not exist under ",
                  media_root, " (media_root, default the annotation file's folder); for example ", examples,
                  missing_ > static_cast<int64_t>(missing_examples_.size()) ? ", ..." : ""));
  missing_ = 0;
  missing_examples_.clear();
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
      auto record = parse_json_text(line, "line");  // nesting bounded, numbers in range
      if (!record.is_object()) {
        bad.report(where, "expected a JSON object on each line");
        continue;
      }
      records.emplace_back(where, std::move(record));
    } catch (const Error& e) {
      bad.report(where, cat("malformed JSON: ", e.what()));
    }
  }
  return records;
}

namespace {
bool inside(const fs::path& path, const fs::path& folder) {
  auto mismatch = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
  return mismatch.first == folder.end();
}
}  // namespace

MediaRoots media_roots(const DatasetSpec& spec) {
  MediaRoots roots;
  if (!spec.media_root.empty()) {
    roots.root = spec.media_root;
  } else {
    const auto parent = fs::path(spec.path).parent_path();
    roots.root = parent.empty() ? "." : parent.string();
  }
  roots.allowed.push_back(fs::weakly_canonical(roots.root).string());
  for (const auto& folder : spec.allow_media_from) roots.allowed.push_back(fs::weakly_canonical(folder).string());
  return roots;
}

std::string resolve_media(const MediaRoots& roots, const std::string& relative, const std::string& where, BadSamples& bad) {
  const fs::path path = fs::path(relative).is_absolute() ? fs::path(relative) : fs::path(roots.root) / relative;
  std::error_code error;
  const auto real = fs::canonical(path, error);  // symlinks followed
  if (error) {
    bad.report_missing_media(where, path.string());
    return "";
  }
  for (const auto& folder : roots.allowed)
    if (inside(real, folder)) return path.string();
  bad.report(where, cat("media file ", path.string(), " resolves to ", real.string(), ", outside the dataset's root ", roots.allowed[0],
                        " (media_root, or the annotation file's folder; allow_media_from widens it)"));
  return "";
}

bool append_turn(Sample& sample, const std::string& role, const std::string& text, bool& placed, const std::string& field,
                 const std::string& where, BadSamples& bad) {
  if (role == "user" || role == "human") {
    sample.turns.push_back({language::Role::kUser, placed ? text : with_placeholders(text, sample.images.size(), !sample.video.empty())});
    placed = true;
  } else if (role == "assistant" || role == "gpt") {
    if (text.empty()) {
      bad.report(where, "empty answer");
      return false;
    }
    sample.turns.push_back({language::Role::kAssistant, text});
    sample.references.push_back(text);
  } else if (role == "system") {
    sample.turns.push_back({language::Role::kSystem, text});
  } else {
    bad.report(where, cat("a turn's '", field, "' must be user (human), assistant (gpt) or system, found '", role, "'"));
    return false;
  }
  return true;
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

}  // namespace vltune::datasets
