// alpaca (text only, the form of the DoRA paper's commonsense_170k):
//   [{"instruction": text, "input": text (may be empty), "output": text}, ...]
// The user turn is the instruction, followed by a blank line and the input when there is one.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include "core/error.h"

namespace vltune::datasets {

namespace {
std::optional<Sample> read_one(const JsonView& view, const std::string& where, BadSamples& bad) {
  const auto& record = view.object();
  if (!only_known_fields(record.raw(), {"instruction", "input", "output", "answer"}, where, bad)) return std::nullopt;
  const auto instruction = record.str_or("instruction", ""), input = record.str_or("input", ""), output = record.str_or("output", "");
  if (instruction.empty() || output.empty()) {
    bad.report(where, output.empty() ? "empty answer" : "empty instruction");
    return std::nullopt;
  }
  Sample sample;
  sample.id = where;
  sample.turns = {{language::Role::kUser, input.empty() ? instruction : instruction + "\n\n" + input},
                  {language::Role::kAssistant, output}};
  // commonsense_170k records carry the short answer separately; evaluation compares against it.
  sample.references = {record.str_or("answer", output)};
  return sample;
}
}  // namespace

std::vector<Sample> read_alpaca(const DatasetSpec& spec, BadSamples& bad) {
  return read_json_array(spec, "an alpaca dataset is a JSON array of {instruction, input, output}", bad,
                         [&](const JsonView& record, const std::string& where) { return read_one(record, where, bad); });
}

}  // namespace vltune::datasets
