// LLaVA conversation JSON: [{"id", "image": path | [paths], "video": path,
//   "conversations": [{"from": "human" | "gpt" | "system", "value": text}, ...]}, ...]
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include "core/error.h"

namespace vltune::datasets {

namespace {

// The record's media into `sample`; false (reported) when one is missing or outside the root.
bool read_media(const JsonView& record, const MediaRoots& roots, const std::string& where, BadSamples& bad, Sample& sample) {
  if (record.has("image")) {
    const auto& image = record.raw()["image"];
    std::vector<std::string> paths;
    if (image.is_array())
      for (const auto& item : record.items("image")) paths.push_back(item.string_value());
    else
      paths.push_back(record.str("image"));
    for (const auto& path : paths) {
      sample.images.push_back(resolve_media(roots, path, where, bad));
      if (sample.images.back().empty()) return false;
    }
  }
  if (record.has("video")) {
    sample.video = resolve_media(roots, record.str("video"), where, bad);
    if (sample.video.empty()) return false;
  }
  return true;
}

std::optional<Sample> read_one(const JsonView& record, const MediaRoots& roots, const std::string& where, BadSamples& bad) {
  record.object();
  if (!only_known_fields(record.raw(), {"id", "image", "video", "conversations"}, where, bad)) return std::nullopt;
  Sample sample;
  sample.id = record.has("id") ? record.text_or_empty("id") : where;
  if (!read_media(record, roots, where, bad, sample)) return std::nullopt;
  if (!record.has("conversations")) {
    bad.report(where, "'conversations' must be a list of {from, value}");
    return std::nullopt;
  }
  bool placed = false;
  for (const auto& item : record.items("conversations")) {
    const auto& turn = item.object();
    if (!append_turn(sample, turn.str_or("from", ""), turn.str_or("value", ""), placed, "from", where, bad)) return std::nullopt;
  }
  if (sample.references.empty()) {
    bad.report(where, "no answer to train on");
    return std::nullopt;
  }
  return sample;
}

}  // namespace

std::vector<Sample> read_llava(const DatasetSpec& spec, BadSamples& bad) {
  const auto roots = media_roots(spec);
  return read_json_array(spec, "a llava dataset is a JSON array of samples", bad,
                         [&](const JsonView& record, const std::string& where) { return read_one(record, roots, where, bad); });
}

}  // namespace vltune::datasets
