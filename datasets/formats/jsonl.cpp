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
}  // namespace

std::vector<Sample> read_jsonl(const DatasetSpec& spec, BadSamples& bad) {
  for (const auto& [role, name] : spec.fields)
    if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end())
      fail("[dataset] ", spec.origin, ": unknown field role '", role, "' in fields (expected id, image, video, question, answer, messages)");
  const auto root = media_root(spec);
  std::vector<Sample> samples;
  for (const auto& [where, record] : read_json_lines(spec.path, bad)) {
    std::vector<std::string> known;
    for (const auto& role : kRoles) known.push_back(field_name(spec, role, record));
    if (!only_known_fields(record, known, where, bad)) continue;
    bool ok = true;
    Sample sample;
    sample.id = record.contains(field_name(spec, "id", record)) ? record[field_name(spec, "id", record)].dump() : where;
    if (auto image = string_field(record, field_name(spec, "image", record), where, bad, &ok); ok && !image.empty()) {
      sample.images.push_back(resolve_media(root, image, where, bad));
      ok = !sample.images.back().empty();
    }
    if (auto video = string_field(record, field_name(spec, "video", record), where, bad, &ok); ok && !video.empty()) {
      sample.video = resolve_media(root, video, where, bad);
      ok = !sample.video.empty();
    }
    if (!ok) continue;
    const auto messages_key = field_name(spec, "messages", record);
    if (record.contains(messages_key)) {
      bool placed = false;
      for (const auto& m : record[messages_key]) {
        const std::string role = m.value("role", ""), content = m.value("content", "");
        if (role == "user") {
          sample.turns.push_back({language::Role::kUser, placed ? content : with_placeholders(content, sample.images.size(), !sample.video.empty())});
          placed = true;
        } else if (role == "assistant") {
          sample.turns.push_back({language::Role::kAssistant, content});
          sample.references.push_back(content);
          if (content.empty()) ok = false;
        } else if (role == "system") {
          sample.turns.push_back({language::Role::kSystem, content});
        } else {
          bad.report(where, "a message's role must be user, assistant or system, found '" + role + "'");
          ok = false;
          break;
        }
      }
    } else {
      const auto question = string_field(record, field_name(spec, "question", record), where, bad, &ok);
      const auto answer = string_field(record, field_name(spec, "answer", record), where, bad, &ok);
      sample.turns = {{language::Role::kUser, with_placeholders(question, sample.images.size(), !sample.video.empty())},
                      {language::Role::kAssistant, answer}};
      sample.references = {answer};
      if (answer.empty()) ok = false;
    }
    if (!ok || sample.references.empty()) {
      bad.report(where, "empty answer");
      continue;
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vltune::datasets
