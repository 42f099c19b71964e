#include "training/run_directory.h"

#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "training/checkpoint_folders.h"
#include "training/recipe_diff.h"

namespace fs = std::filesystem;

namespace vltune::training {

bool is_run_directory(const std::string& path) { return fs::is_directory(path) && fs::exists(fs::path(path) / "recipe.yaml"); }

Recipe run_recipe(const std::string& run_dir, const std::vector<std::string>& overrides) {
  if (!is_run_directory(run_dir)) fail("[run] ", run_dir, " is not a run directory (no recipe.yaml; made by vltune train)");
  return Recipe::load((fs::path(run_dir) / "recipe.yaml").string(), overrides);
}

std::string latest_adapter(const std::string& run_dir) {
  const auto checkpoint = latest_checkpoint(run_dir);
  if (!checkpoint) fail("[run] ", run_dir, " has no checkpoint yet (checkpoints/step-N/)");
  return (fs::path(*checkpoint) / "adapter").string();
}

Recipe recipe_for_resume(const std::string& run_dir, const Recipe& given, bool allow_changes) {
  if (!is_run_directory(run_dir) || !latest_checkpoint(run_dir)) return given;
  const auto own = (fs::path(run_dir) / "recipe.yaml").string();
  Recipe recipe = run_recipe(run_dir);
  const auto changes = recipe_changes(recipe, given, run_dir);
  if (changes.empty()) return recipe;
  if (!allow_changes)
    fail("[train] --resume: ", given.path(), " (with its --sets) would change the run's recipe ", own, ": ",
         describe_changes(changes), ". Resume with the run's own recipe (vltune train ", run_dir,
         " --resume), or pass --override to go on with these changes");
  log_warning(cat("--override: the run goes on with ", describe_changes(changes)));
  return given;
}

}  // namespace vltune::training
