// VQA with several reference answers (VQA v2 style, flattened):
//   [{"image": path, "question": text, "answers": ["yes", "yes", "no", ...] or [{"answer": ...}]}, ...]
// The trained answer is the most frequent reference; all of them are kept for VQA accuracy.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include <map>

#include "core/error.h"

namespace vltune::datasets {

std::vector<Sample> read_vqa(const DatasetSpec& spec, BadSamples& bad) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_array()) fail("[dataset] ", spec.path, ": a vqa dataset is a JSON array of {image, question, answers}");
  const auto root = media_root(spec);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string where = cat(spec.path, "[", i, "]");
    const auto& record = doc[i];
    bool ok = record.is_object();
    if (!ok) { bad.report(where, "expected an object"); continue; }
    const auto image = string_field(record, "image", where, bad, &ok);
    const auto question = string_field(record, "question", where, bad, &ok);
    if (!ok) continue;
    Sample sample;
    sample.id = record.contains("question_id") ? record["question_id"].dump() : where;
    if (!image.empty()) {
      sample.images = {resolve_media(root, image, where, bad)};
      if (sample.images[0].empty()) continue;
    }
    std::map<std::string, int> votes;
    for (const auto& a : record.value("answers", nlohmann::json::array())) {
      const auto text = a.is_string() ? a.get<std::string>() : a.value("answer", "");
      if (text.empty()) continue;
      sample.references.push_back(text);
      ++votes[text];
    }
    if (question.empty() || sample.references.empty()) { bad.report(where, question.empty() ? "empty question" : "empty answer"); continue; }
    const auto top = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    sample.turns = {{language::Role::kUser, with_placeholders(question, sample.images.size(), false)},
                    {language::Role::kAssistant, top->first}};
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vltune::datasets
