// LLaVA conversation JSON: [{"id", "image": path | [paths], "video": path,
//   "conversations": [{"from": "human" | "gpt" | "system", "value": text}, ...]}, ...]
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include "core/error.h"

namespace vltune::datasets {

std::vector<Sample> read_llava(const DatasetSpec& spec, BadSamples& bad) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_array()) fail("[dataset] ", spec.path, ": a llava dataset is a JSON array of samples");
  const auto root = media_root(spec);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& record = doc[i];
    const std::string where = cat(spec.path, "[", i, "]");
    if (!record.is_object()) { bad.report(where, "expected an object"); continue; }
    if (!only_known_fields(record, {"id", "image", "video", "conversations"}, where, bad)) continue;
    bool ok = true;
    Sample sample;
    sample.id = record.contains("id") ? (record["id"].is_string() ? record["id"].get<std::string>() : record["id"].dump()) : where;
    if (record.contains("image")) {
      const auto& image = record["image"];
      for (const auto& item : image.is_array() ? image : nlohmann::json::array({image})) {
        if (!item.is_string()) { bad.report(where, "'image' must be a path or a list of paths"); ok = false; break; }
        sample.images.push_back(resolve_media(root, item.get<std::string>(), where, bad));
        ok = ok && !sample.images.back().empty();
      }
    }
    if (ok && record.contains("video")) {
      sample.video = resolve_media(root, string_field(record, "video", where, bad, &ok), where, bad);
      ok = ok && !sample.video.empty();
    }
    if (!ok) continue;
    if (!record.contains("conversations") || !record["conversations"].is_array()) {
      bad.report(where, "'conversations' must be a list of {from, value}");
      continue;
    }
    bool placed = false;
    for (const auto& turn : record["conversations"]) {
      const std::string from = turn.value("from", ""), value = turn.value("value", "");
      if (from == "human" || from == "user") {
        sample.turns.push_back({language::Role::kUser, placed ? value : with_placeholders(value, sample.images.size(), !sample.video.empty())});
        placed = true;
      } else if (from == "gpt" || from == "assistant") {
        if (value.empty()) { ok = false; bad.report(where, "empty answer"); break; }
        sample.turns.push_back({language::Role::kAssistant, value});
        sample.references.push_back(value);
      } else if (from == "system") {
        sample.turns.push_back({language::Role::kSystem, value});
      } else {
        ok = false;
        bad.report(where, "a conversation turn's 'from' must be human, gpt or system, found '" + from + "'");
        break;
      }
    }
    if (ok && sample.references.empty()) { bad.report(where, "no answer to train on"); continue; }
    if (ok) samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vltune::datasets
