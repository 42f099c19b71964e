// The differences between two recipes of one run, key by key: what `vltune train --resume` shows
// when the recipe it is given would change the run it continues (docs/recipes.md, "Resuming").
//
// Both recipes are compared as a run folder keeps them (Recipe::resolved_yaml: extends and --set
// applied, paths absolute, output.dir the run's), leaf by leaf; a key one of them leaves unset
// counts as the schema's default, and numbers compare by value (1e-2 is 0.01).
#pragma once
#include <string>
#include <vector>

#include "training/recipe.h"

namespace vltune::training {

struct RecipeChange {
  std::string key;     // dotted: "train.steps"
  std::string before;  // the run's value ("(not set)" when it has none)
  std::string after;   // the new recipe's
  std::string where;   // where the new recipe sets it ("recipe.yaml:5:3", "--set train.steps=30"), or ""
};

std::vector<RecipeChange> recipe_changes(const Recipe& run, const Recipe& changed, const std::string& run_dir);

// "train.steps: 40 in the run, 30 now (--set train.steps=30); ..." on one line.
std::string describe_changes(const std::vector<RecipeChange>& changes);

}  // namespace vltune::training
