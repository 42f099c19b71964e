// Everything a run checks before its first step, in one place: `train` starts from what it
// returns, and `vltune recipe check` runs it alone, so that a recipe `check` calls valid does not
// fail at the first step of `train`.
//
// Checked, in order: the datasets read (each annotation file opened and parsed in its format, each
// sample's media found under its media_root), the first usable training sample prepared (its media
// decoded, its conversation tokenized and fitted to data.max_length), the adapter placement planned
// on the loaded model (a rule that matches nothing is an error), and the evaluation settings. The
// caller has loaded the backbone (training::load_backbone: the model and its tokenizer checked).
// Nothing is trained and nothing is written.
#pragma once
#include <string>
#include <vector>

#include "adapters/placement.h"
#include "training/evaluate.h"
#include "training/recipe.h"
#include "training/run_setup.h"

namespace vltune::training {

struct PreparedRun {
  RunData data;
  // The plan placing the recipe's adapter rules on the model (each entry holds what it needs of its rule).
  std::vector<adapters::PlannedAdapter> plan;
  // The model tensors that train whole (`embeddings: train`), or none.
  std::vector<adapters::TensorSite> in_place;
  EvalSettings eval;
  std::string first_sample;  // the id of the first training sample that prepared
};

PreparedRun prepare_run(const Recipe& recipe, Backbone& backbone);

}  // namespace vltune::training
