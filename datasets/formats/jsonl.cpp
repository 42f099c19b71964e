// JSON Lines with a field mapping. Each line is one sample:
//   {"image": path, "question": text, "answer": text}   (or video / prompt / caption)
//   {"image": path, "messages": [{"role": "user"|"assistant"|"system", "content": text}, ...]}
// `fields` renames them: fields: {image: img_path, question: q, answer: a, messages: chat, id: uid}.
// Without a mapping the names above are used, with prompt for question and caption for answer.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include "core/error.h"

namespace vltune::datasets {

namespace {
const std::vector<std::string> kRoles = {"id", "image", "video", "question", "answer", "messages"};

std::string field_name(const DatasetSpec& spec, const std::string& role, const nlohmann::json& record) {
  auto it = spec.fields.find(role);
  if (it != spec.fields.end()) return it->second;
  if (role == "question" && !record.contains("question") && record.contains("prompt")) return "prompt";
  if (role == "answer" && !record.contains("answer") && record.contains("caption")) return "caption";
  return role;
}

std::optional<Sample> read_one(const DatasetSpec& spec, const JsonView& record, const MediaRoots& roots, const std::string& where,
                               BadSamples& bad) {
  const auto& raw = record.raw();
  std::vector<std::string> known;
  for (const auto& role : kRoles) known.push_back(field_name(spec, role, raw));
  if (!only_known_fields(raw, known, where, bad)) return std::nullopt;
  Sample sample;
  sample.id = record.has(field_name(spec, "id", raw)) ? record.text_or_empty(field_name(spec, "id", raw)) : where;
  if (const auto image = record.str_or(field_name(spec, "image", raw), ""); !image.empty()) {
    sample.images.push_back(resolve_media(roots, image, where, bad));
    if (sample.images.back().empty()) return std::nullopt;
  }
  if (const auto video = record.str_or(field_name(spec, "video", raw), ""); !video.empty()) {
    sample.video = resolve_media(roots, video, where, bad);
    if (sample.video.empty()) return std::nullopt;
  }
  const auto messages_key = field_name(spec, "messages", raw);
  if (record.has(messages_key)) {
    bool placed = false;
    for (const auto& item : record.items(messages_key)) {
      const auto& m = item.object();
      if (!append_turn(sample, m.str_or("role", ""), m.str_or("content", ""), placed, "role", where, bad)) return std::nullopt;
    }
  } else {
    const auto question = record.str_or(field_name(spec, "question", raw), "");
    const auto answer = record.str_or(field_name(spec, "answer", raw), "");
    sample.turns = {{language::Role::kUser, with_placeholders(question, sample.images.size(), !sample.video.empty())},
                    {language::Role::kAssistant, answer}};
    if (!answer.empty()) sample.references = {answer};
  }
  if (sample.references.empty()) {
    bad.report(where, "empty answer");
    return std::nullopt;
  }
  return sample;
}
}  // namespace

std::vector<Sample> read_jsonl(const DatasetSpec& spec, BadSamples& bad) {
  for (const auto& [role, name] : spec.fields)
    if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end())
      fail("[dataset] ", spec.origin, ": unknown field role '", role, "' in fields (expected id, image, video, question, answer, messages)");
  const auto roots = media_roots(spec);
  std::vector<Sample> samples;
  for (const auto& line : read_json_lines(spec.path, bad)) {
    const std::string& where = line.first;  // a named reference: C++17 lambdas cannot capture bindings
    const JsonView view(line.second, where);
    if (auto sample = read_record(where, bad, [&] { return read_one(spec, view, roots, where, bad); })) samples.push_back(std::move(*sample));
  }
  return samples;
}

}  // namespace vltune::datasets
