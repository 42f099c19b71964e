// VQA with several reference answers (VQA v2 style, flattened):
//   [{"image": path, "question": text, "answers": ["yes", "yes", "no", ...] or [{"answer": ...}]}, ...]
// The trained answer is the most frequent reference; all of them are kept for VQA accuracy.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include <map>

#include "core/error.h"

namespace vltune::datasets {

namespace {
std::optional<Sample> read_one(const JsonView& view, const MediaRoots& roots, const std::string& where, BadSamples& bad) {
  const auto& record = view.object();
  const auto image = record.str_or("image", ""), question = record.str_or("question", "");
  Sample sample;
  sample.id = record.has("question_id") ? record.text_or_empty("question_id") : where;
  if (!image.empty()) {
    sample.images = {resolve_media(roots, image, where, bad)};
    if (sample.images[0].empty()) return std::nullopt;
  }
  std::map<std::string, int> votes;
  for (const auto& a : record.items_or_empty("answers")) {
    const auto text = a.raw().is_string() ? a.string_value() : a.object().str_or("answer", "");
    if (text.empty()) continue;
    sample.references.push_back(text);
    ++votes[text];
  }
  if (question.empty() || sample.references.empty()) {
    bad.report(where, question.empty() ? "empty question" : "empty answer");
    return std::nullopt;
  }
  const auto top = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  sample.turns = {{language::Role::kUser, with_placeholders(question, sample.images.size(), false)},
                  {language::Role::kAssistant, top->first}};
  return sample;
}
}  // namespace

std::vector<Sample> read_vqa(const DatasetSpec& spec, BadSamples& bad) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_array()) fail("[dataset] ", spec.path, ": a vqa dataset is a JSON array of {image, question, answers}");
  const auto roots = media_roots(spec);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string where = cat(spec.path, "[", i, "]");
    const JsonView record(doc[i], where);
    if (auto sample = read_record(where, bad, [&] { return read_one(record, roots, where, bad); })) samples.push_back(std::move(*sample));
  }
  return samples;
}

}  // namespace vltune::datasets
