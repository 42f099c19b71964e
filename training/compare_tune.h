// `tune:` of a compare file (training/compare.h): the learning rate of each variant chosen on a
// validation split of the training data (data.validation, training/validation_split.h), never on
// the test split. Torch-free: reading the block, the choice, and OUT/tuning.json.
//
//   tune: {lr: [1e-3, 2e-3, 4e-3], validation: 0.1, seed: 0, set: {eval.max_samples: 2000}}
//   variants:
//     - {name: ft, adapters: ..., tune: {lr: [1e-4, 2e-4, 5e-4]}}   # this variant's own candidates
//
// Each variant (each grid combination too) trains once per candidate (train.lr = it, train.seed =
// seed, data.validation = validation, then tune's `set`) and keeps the candidate whose validation
// score on the primary metric is best.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/paired_bootstrap.h"

namespace vltune::training {

struct LrCandidate {
  std::string text;  // as written in the file: what train.lr is set to, so the run gets exactly it
  double value = 0;
};

struct TuneSpec {
  std::vector<LrCandidate> lr;  // the file's candidates (a variant's tune: {lr: ...} replaces them)
  double validation = 0.1;      // data.validation of the tuning runs
  std::string validation_text = "0.1";  // as written
  uint64_t seed = 0;            // train.seed of the tuning runs
};

// The file's `tune:` (nullopt when absent); throws naming the file, line and key when malformed:
// unknown keys, an empty or non-list lr, a learning rate that is not a positive finite number, two
// candidates that name one folder, validation outside (0, 0.5], a negative or non-integer seed.
// Its `set:` is read by the caller, as every other `set:`.
std::optional<TuneSpec> read_tune(const YAML::Node& node, const std::string& file);

// A variant's `tune: {lr: [...]}`: its candidates, checked as above (`key` names it in errors).
std::vector<LrCandidate> read_variant_tune(const YAML::Node& node, const std::string& file, const std::string& key);

// The folder name of a candidate's tuning run: VARIANT-lr<value as %g>, e.g. lora-lr0.004.
std::string tuning_run_name(const std::string& variant, const LrCandidate& lr);

struct TunedCandidate {
  LrCandidate lr;
  std::map<std::string, double> metrics;  // on the validation split (train_loss too)
  std::string run;                         // its folder, relative to OUT
  int64_t items = 0;                       // validation items it was scored on (0: none recorded)
  int64_t diverged_step = 0;               // > 0: its run diverged at this step (no metrics), and why:
  std::string diverged_cause;              // "the gradient norm is inf"
  // The primary metric per validation item, with the items' ids (empty when the metric has no
  // per-item scores); choice_margin pairs them. Not written to tuning.json.
  std::vector<std::string> item_ids;
  std::vector<double> item_scores;
};

// The index of the chosen candidate: the best `metric` (core/metric_kinds.h says which way); among
// equal ones the lower validation loss when every one of them reports a loss, then the smaller lr.
// A candidate whose run diverged is never chosen. Throws ([compare]) naming `variant` when a
// finished candidate lacks `metric`, or when every candidate diverged.
std::size_t choose_lr(const std::vector<TunedCandidate>& candidates, const std::string& metric, const std::string& variant);

// How choose_lr decides, in words (tuning.json's "rule", docs).
extern const char* const kTuningRule;

// How far the chosen candidate is ahead of the next best on the validation items: the paired
// difference (chosen − next best, sign flipped for lower-is-better metrics, so > 0 favours the
// choice) with its 95% bootstrap interval over the items (analysis/paired_bootstrap.h, one seed).
struct ChoiceMargin {
  double over_lr = 0;  // the next best candidate's lr
  analysis::PairedDifference difference;
};

// nullopt when no other candidate finished, or the two lack per-item scores on the same items.
std::optional<ChoiceMargin> choice_margin(const std::vector<TunedCandidate>& candidates, std::size_t chosen, const std::string& metric);

struct VariantTuning {
  std::string variant;
  std::vector<TunedCandidate> candidates;
  std::size_t chosen = 0;
  std::optional<ChoiceMargin> margin;
};

// OUT/tuning.json: {"primary_metric", "validation", "seed", "rule", "variants": [{"variant",
// "chosen_lr", "candidates": [{"lr", "run", "metrics": {...}, "items" (when recorded)}], "margin"
// (when known): {"over_lr", "mean", "low", "high", "items"}}]}; a diverged candidate has {"lr",
// "run", "diverged": {"step", "cause"}} and no metrics.
std::string tuning_json(const std::vector<VariantTuning>& variants, const TuneSpec& spec, const std::string& metric);

}  // namespace vltune::training
