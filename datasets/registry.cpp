#include "datasets/registry.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

namespace vltune::datasets {

namespace {

struct Entry {
  std::string description;
  FormatReader reader;
};

std::map<std::string, Entry>& table() {
  static std::map<std::string, Entry> formats = {
      {"llava", {"LLaVA conversation JSON (image or video, conversations from human/gpt)", read_llava}},
      {"jsonl", {"JSON Lines with a field mapping (image|video, question|prompt, answer|caption, or messages)", read_jsonl}},
      {"coco", {"COCO captions JSON (images + annotations); all captions kept as references", read_coco}},
      {"alpaca", {"alpaca instruction JSON (instruction, input, output), text only", read_alpaca}},
      {"vqa", {"VQA with several reference answers per question", read_vqa}},
  };
  return formats;
}

std::mutex& table_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

void register_format(const std::string& name, const std::string& description, FormatReader reader) {
  std::lock_guard<std::mutex> lock(table_mutex());
  if (!table().emplace(name, Entry{description, std::move(reader)}).second)
    fail("[dataset] a format named '", name, "' is already registered");
}

std::vector<std::pair<std::string, std::string>> registered_formats() {
  std::lock_guard<std::mutex> lock(table_mutex());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, entry] : table()) out.emplace_back(name, entry.description);
  return out;
}

std::vector<Sample> read_dataset(const DatasetSpec& spec, BadSamples& bad) {
  FormatReader reader;
  {
    std::lock_guard<std::mutex> lock(table_mutex());
    auto it = table().find(spec.format);
    if (it == table().end()) {
      std::string known;
      for (const auto& [name, entry] : table()) known += (known.empty() ? "" : ", ") + name;
      fail("[dataset] ", spec.origin.empty() ? spec.path : spec.origin, ": unknown format '", spec.format, "' (registered: ", known, ")");
    }
    reader = it->second.reader;
  }
  if (!std::filesystem::exists(spec.path)) fail("[dataset] ", spec.path, ": the annotation file does not exist");
  try {
    auto samples = reader(spec, bad);
    bad.log_missing_media(spec.path, media_roots(spec).root);  // one line, however many samples miss their media
    return samples;
  } catch (const nlohmann::json::exception& e) {  // a reader (a registered one, say) that reads types unchecked
    fail("[dataset] ", spec.path, ": ", e.what());
  } catch (const YAML::Exception& e) {
    fail("[dataset] ", spec.path, ": ", e.what());
  }
}

}  // namespace vltune::datasets
