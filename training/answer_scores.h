// The per-item scores of a run's final evaluation, for the paired statistics of docs/results.md
// (analysis/paired_bootstrap.h). The trainer writes each evaluated sample's generated answer to
// RUN/eval/step-N.jsonl, one JSON object a line: {"id": ..., "prediction": ..., "references": [...]};
// this scores each line with the metrics that are a mean over items (training/metrics.h:
// exact_match, vqa_accuracy, rouge_l, cider_d), so each metric's mean over the items is the value
// the run reported. Plain: no LibTorch.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace vltune::training {

struct ItemScores {
  std::vector<std::string> ids;                         // the items in the file's order
  std::map<std::string, std::vector<double>> scores;    // metric -> one score per item
};

// Scores `metrics` (those without per-item scores, such as bleu4 or loss, are left out). Throws
// ([eval]) naming the file and line when a line is not such an object, or an id repeats.
ItemScores score_answer_file(const std::string& path, const std::vector<std::string>& metrics);

}  // namespace vltune::training
