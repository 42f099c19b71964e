#include "training/answer_prior.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/error.h"
#include "training/metrics.h"

namespace vltune::training {

namespace {

std::string without_placeholders(std::string text) {
  for (const char* placeholder : {"<image>", "<video>"})
    for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder)) text.erase(at, std::string(placeholder).size());
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

const std::string& last_answer(const datasets::Sample& sample) {
  for (auto turn = sample.turns.rbegin(); turn != sample.turns.rend(); ++turn)
    if (turn->role == language::Role::kAssistant) return turn->text;
  fail("[prior] ", sample.id, ": the sample has no answer");
}

// The most common key of `counts`; ties go to the first in byte order (std::map's order).
std::string most_common(const std::map<std::string, int64_t>& counts) {
  std::string best;
  int64_t most = -1;
  for (const auto& [answer, count] : counts)
    if (count > most) best = answer, most = count;
  return best;
}

}  // namespace

std::string prior_question_text(const datasets::Sample& sample) {
  std::size_t end = sample.turns.size();
  while (end > 0 && sample.turns[end - 1].role != language::Role::kAssistant) --end;
  std::string text;
  for (std::size_t i = 0; i + 1 < end; ++i)
    if (sample.turns[i].role == language::Role::kUser) text += (text.empty() ? "" : "\n") + without_placeholders(sample.turns[i].text);
  return text;
}

AnswerPrior text_only_prior(const std::vector<datasets::Sample>& train, const std::vector<datasets::Sample>& test) {
  if (train.empty() || test.empty()) fail("[prior] needs a training split and a test split with samples (got ", train.size(), " and ", test.size(), ")");
  std::map<std::string, std::map<std::string, int64_t>> by_text;
  std::map<std::string, int64_t> overall;
  for (const auto& sample : train) {
    const auto answer = normalize_answer(last_answer(sample));
    ++by_text[prior_question_text(sample)][answer];
    ++overall[answer];
  }
  AnswerPrior prior;
  prior.overall_answer = most_common(overall);
  std::map<std::string, std::size_t> row_of;
  for (const auto& sample : test) {
    const auto text = prior_question_text(sample);
    auto [row, added] = row_of.try_emplace(text, prior.questions.size());
    if (added) {
      const auto seen = by_text.find(text);
      PriorQuestion question{text, seen == by_text.end() ? prior.overall_answer : most_common(seen->second)};
      if (seen != by_text.end())
        for (const auto& [answer, count] : seen->second) question.train += count;
      prior.questions.push_back(question);
    }
    auto& question = prior.questions[row->second];
    const double score = exact_match(question.answer, sample.references);
    question.test += 1;
    question.correct += score;
    prior.correct += score;
    prior.unseen += question.train == 0;
  }
  prior.test_items = static_cast<int64_t>(test.size());
  prior.score = prior.correct / static_cast<double>(prior.test_items);
  return prior;
}

std::string describe_prior(const AnswerPrior& prior, std::size_t limit) {
  std::ostringstream out;
  out << "text-only prior " << std::fixed << std::setprecision(4) << prior.score << " (" << std::setprecision(0) << prior.correct
      << " of " << prior.test_items << " test items; " << prior.questions.size() << " question texts; " << prior.unseen
      << " test items with a question training lacks, answered '" << prior.overall_answer << "')\n";
  auto rows = prior.questions;
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.test > b.test; });
  if (limit > 0 && rows.size() > limit) rows.resize(limit);
  for (const auto& row : rows)
    out << std::setw(8) << std::setprecision(4) << row.correct / static_cast<double>(row.test) << "  " << std::setw(6) << row.test
        << " test " << std::setw(6) << row.train << " train  '" << row.answer << "'  " << row.text << "\n";
  return out.str();
}

}  // namespace vltune::training
