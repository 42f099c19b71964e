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
  const auto roots = media_roots(spec);
  return read_json_array(spec, "a vqa dataset is a JSON array of {image, question, answers}", bad,
                         [&](const JsonView& record, const std::string& where) { return read_one(record, roots, where, bad); });
}

}  // namespace vltune::datasets
