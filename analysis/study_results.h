// A study's raw results as committed under docs/results/<study>/ (docs/results.md's tables are
// generated from these files; `vltune results collect` writes them from a `vltune compare` folder):
//
//   results.json   {"title", "primary_metric", "item_ids": [...], "runs": [...]}: one object per run
//                  (variant x seed), one run a line, with every field of the compare record
//                  (analysis/compare_report.h: method, placement, rank, seed, trainable parameters,
//                  peak memory, step time, tokens/s, every eval metric, and each item's score per
//                  metric, in the order of item_ids) except the loss curve and the run folder
//   results.csv    the same runs as rows (no item scores): variant, method, placement, rank, seed,
//                  trainable_params, trainable_percent, peak_memory_mib, step_time_ms,
//                  tokens_per_s, one column per metric
//   base.json, prior.json   optional reference rows: the base model before fine-tuning and the
//                  text-only prior, each from its own command: {"metrics": {"exact_match": 0.23, ...}},
//                  or that command's JSON as it prints it, its numbers at the top (`vltune eval`'s
//                  metrics; `vltune data prior --json`'s "prior", which a table shows as its primary
//                  metric); counts (bad_samples, correct, test_items, unseen) are not metrics
//   analysis/analysis.csv   optional: `vltune analyze`'s points (analysis/analysis_report.h)
//   tuning.json    optional: the learning rates tuned on a validation split (`vltune compare`'s
//                  OUT/tuning.json, training/compare_tune.h): per variant every candidate's
//                  validation metrics and the chosen lr (each run's record has its lr too)
//
// Every run of a study is scored on the same items, so that differences can be paired by item.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/compare_report.h"

namespace vltune::analysis {

struct Study {
  std::string name;  // the folder's name
  std::string title, primary_metric;
  std::vector<std::string> item_ids;
  std::vector<VariantRun> runs;  // item_ids of each run is the study's; loss_curve empty
};

// Reads `study_dir`/results.json. Throws ([report]) naming the file when it is missing or malformed,
// or a run's item scores do not match item_ids in length.
Study load_study(const std::string& study_dir);

// A reference row's metrics: `study_dir`/`name`.json's "metrics", or nullopt when the file does not
// exist. Throws ([report]) naming the file when it exists but is malformed.
std::optional<std::map<std::string, double>> load_reference(const std::string& study_dir, const std::string& name);

// A study's tuning.json as read (nullopt when there is none). Throws ([report]) naming the file when
// it is malformed.
struct StudyTuning {
  struct Candidate {
    double lr = 0;
    std::map<std::string, double> metrics;  // on the validation split
    int64_t diverged_step = 0;              // > 0: its run diverged there (no metrics), and why
    std::string diverged_cause;
  };
  // The chosen candidate's paired difference against the next best on the validation items
  // (> 0 favours the choice), with its bootstrap interval (training/compare_tune.h's ChoiceMargin).
  struct Margin {
    double over_lr = 0, mean = 0, low = 0, high = 0;
    int64_t items = 0;
  };
  struct Variant {
    std::string variant;
    double chosen_lr = 0;
    std::vector<Candidate> candidates;
    std::optional<Margin> margin;  // absent in older files, or without per-item scores
  };
  std::string primary_metric, rule;
  double validation = 0;
  uint64_t seed = 0;
  std::vector<Variant> variants;
};
std::optional<StudyTuning> load_tuning(const std::string& study_dir);

// `vltune results collect`: the runs of `compare_dir`/results.json as the files above in `out_dir`
// (created), compare_dir/analysis/analysis.csv and compare_dir/tuning.json when there are. Checkpoints and run folders
// are never copied. Throws ([report]) when the runs were scored on different items.
void collect_study(const std::string& compare_dir, const std::string& out_dir);

}  // namespace vltune::analysis
