// `vltune analyze`'s reading side: the weight-decomposition change (analysis/weight_decomposition.h)
// of chosen decoder modules at every saved checkpoint of training runs.
//
// A run folder, as the trainer writes it:
//   RUN/recipe.yaml                              the resolved recipe; model.path is the base model
//                                                folder, absolute or relative to RUN
//   RUN/checkpoints/step-NNNNNNNN/adapter/       the adapter in PEFT format (adapters/peft_io.h)
// For each checkpoint the adapter is loaded onto the base model and each chosen module's merged
// weight W' = g ⊙ (W0 + ΔW) is compared with its base weight W0. Modules without an adapter in a
// run are left out (W' = W0 there).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/analysis_point.h"
#include "analysis/run_checkpoints.h"

namespace vltune::analysis {

struct AnalysisOptions {
  std::vector<std::string> modules = {"q_proj", "v_proj"};  // leaf names of the language model's linears
  std::vector<int64_t> layers;                              // decoder layers; empty: all
};

// RUN/recipe.yaml's model.path resolved against RUN.
std::string run_model_path(const std::string& run_dir);

// Every (run, checkpoint, module, layer) point, in that order. Throws naming the run when it has
// no checkpoint or a requested module or layer does not exist in its model.
std::vector<AnalysisPoint> analyze_runs(const std::vector<std::string>& run_dirs, const AnalysisOptions& options);

}  // namespace vltune::analysis
