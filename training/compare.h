// `vltune compare COMPARE.yaml`: one base recipe trained as several variants, side by side, on one
// loaded backbone (loaded once, shared, never reloaded; each variant attaches its own adapters),
// then the report (analysis/compare_report.h) with the table and plots.
//
//   # vltune compare recipes/quickstart.yaml
//   recipe: image-vqa.yaml              # the base recipe (relative to this file)
//   title: LoRA vs DoRA                 # optional
//   metric: vqa_accuracy                # the primary metric (default: the recipe's first eval metric)
//   seeds: [0, 1, 2]                    # each variant runs once per seed (train.seed)
//   set: {train.steps: 100}             # overrides for every variant (keys as --set takes them)
//   variants:                           # a list ...
//     - {name: lora, adapters: {preset: attention_only, method: lora, rank: 8, alpha: 16}}
//     - {name: dora_half, adapters: {preset: dora_half, rank: 8, alpha: 16}, set: {train.lr: 2e-3}}
//   grid:                               # ... and/or a grid: every combination, named method-preset-rN
//     method: [lora, dora]
//     preset: [attention_only, full_layer]
//     rank: [4, 8, 16]                  # alpha = 2 x rank unless `alpha:` gives one value
//     rslora: true                      # optional: s = alpha / sqrt(rank) (adapters' rslora)
//   output: ../runs/compare-NAME        # OUT (relative to this file); runs go to OUT/runs/<variant>-seed<S>
//   tune: {lr: [1e-3, 2e-3, 4e-3], validation: 0.1, seed: 0, set: {eval.max_samples: 2000}}
//                                       # optional: each variant's train.lr chosen on a validation split
//                                       # (a variant's own `tune: {lr: [...]}` replaces the candidates)
//
// With tune: (training/compare_tune.h), each variant (each grid combination too, so each rank gets
// its own) first trains once per candidate lr, in OUT/tune/<variant>-lr<value>: train.seed = tune's
// seed, data.validation = tune's validation (training/validation_split.h: that fraction of the
// training data is held out and evaluated on instead of data.eval, never the test split), then
// tune's set. The chosen lr has the best primary metric on the validation split (ties: the lower
// validation loss, then the smaller lr); OUT/tuning.json lists every candidate's validation metrics
// and the choice, and the variant's seed runs then train on the whole training split with
// train.lr = the chosen lr, evaluated on data.eval as without tune:. Each run's record carries its
// lr. Sharded (--shard K/N), the tuning runs go first with --tune-only (each shard its share of
// them); a shard of the seed runs fails, naming the run, while a tuning run is unfinished.
//
// A finished run (a tuning run too) is reused, not retrained, when its folder holds compare_run.json (written when the
// run ends) and its recipe.yaml equals the one this run would write; so an interrupted comparison
// continues where it stopped, and adding a variant or a seed trains only what is new. Anything else
// in a run's folder is cleared and that run starts afresh.
#pragma once
#include <string>
#include <vector>

#include "analysis/compare_report.h"

namespace vltune::training {

struct CompareOptions {
  std::string out_dir;  // default: the file's `output`
  bool quiet = true;    // no per-step lines from each run, one line per run instead
  std::vector<std::string> overrides;  // --set for every variant, after the file's own (e.g. model.device=cuda)
  bool fresh = false;  // retrain every run, even a finished one with the same resolved recipe
  // Train only the runs whose index (variants in order, each over its seeds) is shard_index modulo
  // shard_count, and write no report: several processes (or machines sharing the folder) split one
  // comparison, then a run without a shard reuses their finished runs and writes the report.
  int64_t shard_index = 0, shard_count = 1;
  // A tuned comparison (tune:) only: train the tuning runs (with a shard, that shard's of them:
  // tuning runs are numbered on their own, variants in order, each over its candidates), write
  // OUT/tuning.json once all are finished, and stop before the seed runs.
  bool tune_only = false;
};

struct CompareResult {
  std::string out_dir;  // the report's folder (a shard writes no report)
  std::vector<analysis::VariantRun> runs;
  std::string table;  // the Markdown table the report opens with
};

CompareResult run_compare(const std::string& compare_yaml, const CompareOptions& options = {});

}  // namespace vltune::training
