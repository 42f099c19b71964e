// A finished or running training run's folder, as `vltune train` leaves it:
//   RUN/recipe.yaml                 the resolved recipe (paths absolute)
//   RUN/checkpoints/step-N/         adapter/ (PEFT format), optimizer.safetensors, state.json
//   RUN/metrics.jsonl, events.out.tfevents.*, summary.json
// and what commands that start from a run (eval, export, analyze, generate) need from it.
#pragma once
#include <string>
#include <vector>

#include "training/recipe.h"

namespace vltune::training {

Recipe run_recipe(const std::string& run_dir, const std::vector<std::string>& overrides = {});

// RUN/checkpoints/step-N/adapter of the newest checkpoint; throws naming the run when it has none.
std::string latest_adapter(const std::string& run_dir);

bool is_run_directory(const std::string& path);

// A run's folder, by one rule for --run-dir and output.dir: `given` (--run-dir) when not empty,
// else the recipe's output.dir (default runs/NAME). NAME in it becomes the recipe file's stem. A
// relative path resolves against where it was written: the current directory for the command line
// (--run-dir, --set output.dir=...), the folder of the recipe file that sets output.dir (a base
// recipe's, through extends), or the recipe's own folder for the default (docs/recipes.md).
std::string run_directory(const Recipe& recipe, const std::string& given = "");

// The recipe `vltune train --resume` continues `run_dir` with. A run that has a checkpoint goes on
// with its own recipe.yaml; `given` (the recipe and --sets on the command line) must not change
// it: when it does, this throws listing every difference, unless `allow_changes` (--override), in
// which case it warns with the list and returns `given`. A run without a checkpoint yet starts
// over with `given`.
Recipe recipe_for_resume(const std::string& run_dir, const Recipe& given, bool allow_changes);

// Where an adapter comes from, for the commands that apply one (generate, eval): a run directory
// (its newest checkpoint), a checkpoint folder RUN/checkpoints/step-N, or a PEFT folder. `run_dir`
// is the run it belongs to ("" for a PEFT folder outside any run), whose recipe says how it was
// trained: chat template, frame sampling, pooling.
struct AdapterSource {
  std::string adapter_dir;  // the PEFT folder (adapter_config.json, adapter_model.safetensors)
  std::string run_dir;
};
AdapterSource resolve_adapter(const std::string& path);

// A run's chat template, frame sampling and pooling (data.template, num_frames, fps, max_frames,
// spatial_pool, temporal) as --set overrides, for evaluating its adapter with another recipe.
std::vector<std::string> generation_overrides(const Recipe& run);

}  // namespace vltune::training
