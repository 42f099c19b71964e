#include "training/run_directory.h"

#include <filesystem>

#include "core/error.h"
#include "training/checkpoint_folders.h"

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

}  // namespace vltune::training
