#include "training/answer_scores.h"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_read.h"
#include "training/metrics.h"

namespace vltune::training {

namespace {

std::string string_field(const nlohmann::json& line, const char* key, const std::string& where) {
  if (!line.contains(key) || !line[key].is_string()) fail("[eval] ", where, ": expected a string '", key, "'");
  return line[key].get<std::string>();
}

std::vector<std::string> references_of(const nlohmann::json& line, const std::string& where) {
  if (!line.contains("references") || !line["references"].is_array() || line["references"].empty())
    fail("[eval] ", where, ": expected 'references', a non-empty list of strings");
  std::vector<std::string> references;
  for (const auto& reference : line["references"]) {
    if (!reference.is_string()) fail("[eval] ", where, ": expected 'references', a non-empty list of strings");
    references.push_back(reference.get<std::string>());
  }
  return references;
}

}  // namespace

ItemScores score_answer_file(const std::string& path, const std::vector<std::string>& metrics) {
  std::istringstream lines(read_file_limited(path, kMaxDataFileBytes, "[eval]"));
  ItemScores result;
  std::set<std::string> seen;
  std::vector<std::string> predictions;
  std::vector<std::vector<std::string>> references;
  int64_t number = 0;
  for (std::string text; std::getline(lines, text);) {
    const auto where = cat(path, ":", ++number);
    if (text.empty()) continue;
    const auto line = nlohmann::json::parse(text, nullptr, false);
    if (line.is_discarded() || !line.is_object()) fail("[eval] ", where, ": not a JSON object; expected {\"id\", \"prediction\", \"references\"}");
    result.ids.push_back(string_field(line, "id", where));
    if (!seen.insert(result.ids.back()).second) fail("[eval] ", where, ": item '", result.ids.back(), "' appears twice; expected one line per item");
    predictions.push_back(string_field(line, "prediction", where));
    references.push_back(references_of(line, where));
  }
  if (result.ids.empty()) fail("[eval] ", path, ": no answers; expected one JSON line per evaluated item");
  for (const auto& metric : metrics)
    if (has_item_scores(metric)) result.scores[metric] = item_scores(metric, predictions, references);
  return result;
}

}  // namespace vltune::training
