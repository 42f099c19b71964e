// One training or evaluation example as every dataset format produces it, and the description of
// a dataset a recipe gives (format, paths, field mapping).
#pragma once
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "language/chat_template.h"

namespace vltune::datasets {

struct Sample {
  std::string id;                       // the record's id, or "file:line" / "file[index]"
  std::vector<std::string> images;      // resolved paths
  std::string video;                    // resolved path: a video file or a folder of frames
  std::vector<language::Turn> turns;    // with <image> / <video> placeholders in the user text
  std::vector<std::string> references;  // every reference answer or caption, for evaluation
};

struct DatasetSpec {
  std::string format;      // llava | jsonl | coco | alpaca | vqa | a registered one
  std::string path;        // the annotation file
  std::string media_root;  // media paths resolve against it (default: the annotation file's folder)
  std::vector<std::string> allow_media_from;  // more folders media may resolve into (default: only the root)
  std::map<std::string, std::string> fields;  // jsonl: which record field holds what (see formats.cpp)
  std::string prompt;      // coco: the user turn before each caption (default: <image> only)
  std::string origin;      // where the spec was written, for errors ("recipe.yaml:12:5")
};

enum class OnBadSample { kSkip, kError };

// Bad samples met while reading or preparing: with kSkip each is logged and counted once, however
// many epochs meet it again; with kError the first one throws. Loader workers report concurrently,
// so it locks.
class BadSamples {
 public:
  explicit BadSamples(OnBadSample policy) : policy_(policy) {}
  void report(const std::string& where, const std::string& problem);  // throws under kError
  // A sample whose media file `path` does not exist: counted and kept as report() does, but not
  // logged one by one (a wrong media_root misses every file); log_missing_media() sums them up.
  void report_missing_media(const std::string& where, const std::string& path);
  // One warning for the missing media reported since the last call, with their count and the first
  // few paths, naming the dataset `file` and the folder they were looked for in; nothing if none.
  void log_missing_media(const std::string& file, const std::string& media_root);
  int64_t count() const;
  std::vector<std::string> messages() const;

 private:
  bool add(const std::string& message);  // false: met before (the lock held)

  mutable std::mutex mutex_;
  OnBadSample policy_;
  int64_t count_ = 0;
  std::vector<std::string> messages_;
  std::set<std::string> seen_;
  int64_t missing_ = 0;                       // since the last log_missing_media
  std::vector<std::string> missing_examples_;  // the first few of them
};

}  // namespace vltune::datasets
