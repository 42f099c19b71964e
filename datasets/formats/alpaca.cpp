// alpaca (text only, the form of the DoRA paper's commonsense_170k):
//   [{"instruction": text, "input": text (may be empty), "output": text}, ...]
// The user turn is the instruction, followed by a blank line and the input when there is one.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include "core/error.h"

namespace vltune::datasets {

std::vector<Sample> read_alpaca(const DatasetSpec& spec, BadSamples& bad) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_array()) fail("[dataset] ", spec.path, ": an alpaca dataset is a JSON array of {instruction, input, output}");
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string where = cat(spec.path, "[", i, "]");
    const auto& record = doc[i];
    if (!record.is_object()) { bad.report(where, "expected an object"); continue; }
    bool ok = only_known_fields(record, {"instruction", "input", "output", "answer"}, where, bad);
    const auto instruction = string_field(record, "instruction", where, bad, &ok);
    const auto input = string_field(record, "input", where, bad, &ok);
    const auto output = string_field(record, "output", where, bad, &ok);
    if (!ok) continue;
    if (instruction.empty() || output.empty()) { bad.report(where, output.empty() ? "empty answer" : "empty instruction"); continue; }
    Sample sample;
    sample.id = where;
    sample.turns = {{language::Role::kUser, input.empty() ? instruction : instruction + "\n\n" + input},
                    {language::Role::kAssistant, output}};
    // commonsense_170k records carry the short answer separately; evaluation compares against it.
    sample.references = {record.contains("answer") && record["answer"].is_string() ? record["answer"].get<std::string>() : output};
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vltune::datasets
