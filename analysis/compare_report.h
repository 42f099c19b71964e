// The report of a comparison (`vltune compare`): one VariantRun per trained run, runs of one
// variant name differing only by seed. Written into OUT, each file atomically:
//   report.md      the table and the plots (as the SVG files beside it)
//   report.html    the same, self-contained: inline CSS and inline SVG, no script, no network
//   results.csv    one row per run: the run's settings, costs and every eval metric (blank: absent)
//   results.json   {title, primary_metric, runs: [...], variants: [...]} with, per variant, each
//                  number as {mean, std, n} (std null when n < 2) and the mean loss curve
//   metric_vs_params.svg, loss_curves.svg, metric_vs_rank.svg
// The table shows mean ± sample standard deviation over a variant's seeds.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "analysis/statistics.h"

namespace vltune::analysis {

struct VariantRun {
  std::string variant, method, placement;
  int64_t rank = 0;  // 0: the method has none (full)
  uint64_t seed = 0;
  int64_t trainable_params = 0;
  double trainable_percent = 0;  // of the whole model's parameters
  double peak_memory_mib = 0, step_time_ms = 0, tokens_per_s = 0;
  double lr = 0;  // train.lr (in a tuned comparison the variant's chosen one); 0: not recorded (optional in JSON)
  std::map<std::string, double> metrics;               // eval metrics (accuracy, bleu4, cider_d, loss, ...)
  std::vector<std::pair<int64_t, double>> loss_curve;  // (step, train loss)
  std::string run_dir;
  // The final evaluation's items (RUN/eval/step-N.jsonl) in order, and per metric that is a mean
  // over items (exact_match, vqa_accuracy, rouge_l, cider_d) each item's score: the raw data of the
  // paired statistics (analysis/paired_bootstrap.h). Empty when the run generated no answers.
  std::vector<std::string> item_ids;
  std::map<std::string, std::vector<double>> item_scores;
};

// One run as the JSON object results.json lists it; `vltune compare` keeps it beside each finished
// run (RUN/compare_run.json) and reads it back to reuse the run. Reading throws naming `where` when
// a field is missing or of the wrong type.
std::string variant_run_json(const VariantRun& run);
VariantRun variant_run_from_json(const std::string& text, const std::string& where);

// results.csv: one row per run, the metrics as columns (the primary one first, then alphabetical;
// blank where a run lacks one), the run folder last unless `run_dirs` is false.
std::string runs_csv(const std::vector<VariantRun>& runs, const std::string& primary_metric, bool run_dirs);

// One variant aggregated over its seeds, in the order variants first appear.
struct VariantSummary {
  std::string variant, method, placement;
  int64_t rank = 0;
  std::vector<uint64_t> seeds;
  int64_t trainable_params = 0;
  double trainable_percent = 0;
  MeanStd peak_memory_mib, step_time_ms, tokens_per_s;
  std::map<std::string, MeanStd> metrics;
  std::vector<std::pair<int64_t, double>> loss_curve;  // at each step any seed logged, the mean over those seeds
};

// Throws naming the variant when its runs disagree on method, placement, rank or trainable
// parameters, or repeat a seed.
std::vector<VariantSummary> summarize_variants(const std::vector<VariantRun>& runs);

// The results table as Markdown (also what `vltune compare` prints); `primary_metric` comes first
// among the metric columns.
std::string compare_table(const std::vector<VariantSummary>& variants, const std::string& primary_metric);

// Writes the files above into `out_dir` (created if needed). Throws when `runs` is empty or no run
// has `primary_metric`.
void write_compare_report(const std::string& out_dir, const std::vector<VariantRun>& runs, const std::string& title,
                          const std::string& primary_metric);

}  // namespace vltune::analysis
