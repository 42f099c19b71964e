#include "training/metrics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"

namespace vltune::training {

namespace {

using Ngram = std::vector<std::string>;
using Counts = std::map<Ngram, double>;

Counts ngram_counts(const std::vector<std::string>& words, int max_n) {
  Counts counts;
  for (int n = 1; n <= max_n; ++n)
    for (std::size_t i = 0; i + n <= words.size(); ++i) counts[Ngram(words.begin() + i, words.begin() + i + n)] += 1;
  return counts;
}

void check_sizes(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  if (predictions.size() != references.size())
    fail("[metrics] ", predictions.size(), " predictions but ", references.size(), " reference sets");
  for (const auto& refs : references)
    if (refs.empty()) fail("[metrics] every prediction needs at least one reference");
}

std::size_t lcs(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::size_t> row(b.size() + 1, 0);
  for (const auto& x : a) {
    std::size_t diagonal = 0;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = x == b[j - 1] ? diagonal + 1 : std::max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return row.back();
}

}  // namespace

std::vector<std::string> caption_tokens(const std::string& text) {
  std::vector<std::string> tokens;
  std::string current;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '\'') {
      current += static_cast<char>(std::tolower(c));
    } else if (!current.empty()) {
      tokens.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(current);
  return tokens;
}

std::string normalize_answer(const std::string& text) {
  static const std::map<std::string, std::string> numbers = {
      {"none", "0"}, {"zero", "0"}, {"one", "1"}, {"two", "2"}, {"three", "3"}, {"four", "4"}, {"five", "5"},
      {"six", "6"},  {"seven", "7"}, {"eight", "8"}, {"nine", "9"}, {"ten", "10"}};
  std::string out;
  for (const auto& word : caption_tokens(text)) {
    if (word == "a" || word == "an" || word == "the") continue;
    auto it = numbers.find(word);
    out += (out.empty() ? "" : " ") + (it == numbers.end() ? word : it->second);
  }
  return out;
}

double exact_match(const std::string& prediction, const std::vector<std::string>& references) {
  const auto p = normalize_answer(prediction);
  return std::any_of(references.begin(), references.end(), [&](const std::string& r) { return normalize_answer(r) == p; }) ? 1.0 : 0.0;
}

double vqa_accuracy(const std::string& prediction, const std::vector<std::string>& references) {
  const auto p = normalize_answer(prediction);
  const auto matches = std::count_if(references.begin(), references.end(), [&](const std::string& r) { return normalize_answer(r) == p; });
  return std::min(static_cast<double>(matches) / 3.0, 1.0);
}

double bleu4(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  check_sizes(predictions, references);
  double matched[4] = {0, 0, 0, 0}, total[4] = {0, 0, 0, 0};
  double candidate_length = 0, reference_length = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const auto hyp = caption_tokens(predictions[i]);
    const auto hyp_counts = ngram_counts(hyp, 4);
    Counts max_ref;
    double closest = -1;
    for (const auto& ref_text : references[i]) {
      const auto ref = caption_tokens(ref_text);
      for (const auto& [gram, count] : ngram_counts(ref, 4)) max_ref[gram] = std::max(max_ref[gram], count);
      const double diff = std::abs(static_cast<double>(ref.size()) - hyp.size());
      if (closest < 0 || diff < std::abs(closest - hyp.size()) || (diff == std::abs(closest - hyp.size()) && ref.size() < closest))
        closest = static_cast<double>(ref.size());
    }
    candidate_length += hyp.size();
    reference_length += closest;
    for (const auto& [gram, count] : hyp_counts) {
      const auto n = gram.size() - 1;
      total[n] += count;
      auto it = max_ref.find(gram);
      matched[n] += std::min(count, it == max_ref.end() ? 0.0 : it->second);
    }
  }
  double log_precision = 0;
  for (int n = 0; n < 4; ++n) {
    if (matched[n] == 0) return 0.0;
    log_precision += std::log(matched[n] / total[n]) / 4.0;
  }
  const double brevity = candidate_length >= reference_length ? 1.0 : std::exp(1.0 - reference_length / candidate_length);
  return brevity * std::exp(log_precision);
}

namespace {

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());  // NaN when empty, as before
}

std::vector<double> rouge_l_items(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  check_sizes(predictions, references);
  const double beta = 1.2;
  std::vector<double> scores(predictions.size(), 0.0);
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const auto hyp = caption_tokens(predictions[i]);
    double best_precision = 0, best_recall = 0;
    for (const auto& ref_text : references[i]) {
      const auto ref = caption_tokens(ref_text);
      const double common = static_cast<double>(lcs(hyp, ref));
      if (!hyp.empty()) best_precision = std::max(best_precision, common / hyp.size());
      if (!ref.empty()) best_recall = std::max(best_recall, common / ref.size());
    }
    if (best_precision > 0 && best_recall > 0)
      scores[i] = (1 + beta * beta) * best_precision * best_recall / (best_recall + beta * beta * best_precision);
  }
  return scores;
}

std::vector<double> cider_d_items(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  check_sizes(predictions, references);
  const int n_max = 4;
  const double sigma = 6.0;
  std::vector<std::vector<Counts>> refs(references.size());
  std::map<Ngram, double> document_frequency;
  for (std::size_t i = 0; i < references.size(); ++i) {
    std::set<Ngram> seen;
    for (const auto& text : references[i]) {
      refs[i].push_back(ngram_counts(caption_tokens(text), n_max));
      for (const auto& entry : refs[i].back()) seen.insert(entry.first);
    }
    for (const auto& gram : seen) document_frequency[gram] += 1;
  }
  const double log_documents = std::log(static_cast<double>(references.size()));

  struct Vector {
    std::vector<std::map<Ngram, double>> weights = std::vector<std::map<Ngram, double>>(n_max);
    std::vector<double> norms = std::vector<double>(n_max, 0.0);
    double length = 0;
  };
  auto to_vector = [&](const Counts& counts) {
    Vector v;
    for (const auto& [gram, tf] : counts) {
      const auto it = document_frequency.find(gram);
      const double df = std::log(std::max(1.0, it == document_frequency.end() ? 0.0 : it->second));
      const std::size_t n = gram.size() - 1;
      v.weights[n][gram] = tf * (log_documents - df);
      v.norms[n] += v.weights[n][gram] * v.weights[n][gram];
      if (n == 1) v.length += tf;  // coco-caption counts bigrams here; kept for identical scores
    }
    for (auto& norm : v.norms) norm = std::sqrt(norm);
    return v;
  };

  std::vector<double> scores(predictions.size(), 0.0);
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const auto hyp = to_vector(ngram_counts(caption_tokens(predictions[i]), n_max));
    double score = 0;
    for (const auto& ref_counts : refs[i]) {
      const auto ref = to_vector(ref_counts);
      const double delta = hyp.length - ref.length;
      for (int n = 0; n < n_max; ++n) {
        double value = 0;
        for (const auto& [gram, weight] : hyp.weights[n]) {
          auto it = ref.weights[n].find(gram);
          if (it != ref.weights[n].end()) value += std::min(weight, it->second) * it->second;
        }
        if (hyp.norms[n] != 0 && ref.norms[n] != 0) value /= hyp.norms[n] * ref.norms[n];
        score += value * std::exp(-(delta * delta) / (2 * sigma * sigma)) / n_max;
      }
    }
    scores[i] = score / refs[i].size() * 10.0;
  }
  return scores;
}

// The metrics that are a mean of per-item scores, each as the function that scores every item.
using ItemScorer = std::vector<double> (*)(const std::vector<std::string>&, const std::vector<std::vector<std::string>>&);

std::vector<double> exact_match_items(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  check_sizes(predictions, references);
  std::vector<double> scores;
  for (std::size_t i = 0; i < predictions.size(); ++i) scores.push_back(exact_match(predictions[i], references[i]));
  return scores;
}

std::vector<double> vqa_accuracy_items(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  check_sizes(predictions, references);
  std::vector<double> scores;
  for (std::size_t i = 0; i < predictions.size(); ++i) scores.push_back(vqa_accuracy(predictions[i], references[i]));
  return scores;
}

const std::map<std::string, ItemScorer>& item_scorers() {
  static const std::map<std::string, ItemScorer> scorers = {
      {"exact_match", exact_match_items}, {"vqa_accuracy", vqa_accuracy_items}, {"rouge_l", rouge_l_items}, {"cider_d", cider_d_items}};
  return scorers;
}

}  // namespace

double rouge_l(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  return mean_of(rouge_l_items(predictions, references));
}

double cider_d(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references) {
  return mean_of(cider_d_items(predictions, references));
}

bool has_item_scores(const std::string& metric) { return item_scorers().count(metric) > 0; }

std::vector<double> item_scores(const std::string& metric, const std::vector<std::string>& predictions,
                                const std::vector<std::vector<std::string>>& references) {
  const auto found = item_scorers().find(metric);
  if (found == item_scorers().end()) fail("[metrics] '", metric, "' has no per-item scores; expected exact_match, vqa_accuracy, rouge_l or cider_d");
  return found->second(predictions, references);
}

}  // namespace vltune::training
