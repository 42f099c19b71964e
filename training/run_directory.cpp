#include "training/run_directory.h"

#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "training/checkpoint_folders.h"
#include "training/recipe_diff.h"

namespace fs = std::filesystem;

namespace vltune::training {

bool is_run_directory(const std::string& path) { return fs::is_directory(path) && fs::exists(fs::path(path) / "recipe.yaml"); }

std::string run_directory(const Recipe& recipe, const std::string& given) {
  auto dir = given.empty() ? recipe.str("output.dir") : given;
  if (const auto at = dir.find("NAME"); at != std::string::npos) dir.replace(at, 4, fs::path(recipe.path()).stem().string());
  const bool command_line = !given.empty() || recipe.where("output.dir").rfind("--set ", 0) == 0;
  if (fs::path(dir).is_absolute() || command_line) return fs::path(dir).lexically_normal().string();
  return (fs::path(recipe.origin_file("output.dir")).parent_path() / dir).lexically_normal().string();
}

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

namespace {
bool is_checkpoint_of_run(const fs::path& checkpoint) {
  return checkpoint.parent_path().filename() == "checkpoints" && is_run_directory(checkpoint.parent_path().parent_path().string());
}
}  // namespace

AdapterSource resolve_adapter(const std::string& path) {
  if (is_run_directory(path)) return {latest_adapter(path), path};
  fs::path folder = fs::path(path).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();  // "dir/"
  auto run_of = [](const fs::path& checkpoint) { return is_checkpoint_of_run(checkpoint) ? checkpoint.parent_path().parent_path().string() : ""; };
  if (!fs::exists(folder / "adapter_config.json") && fs::exists(folder / "adapter" / "adapter_config.json"))
    return {(folder / "adapter").string(), run_of(folder)};
  return {path, folder.filename() == "adapter" ? run_of(folder.parent_path()) : ""};
}

std::vector<std::string> generation_overrides(const Recipe& run) {
  std::vector<std::string> sets;
  for (const char* key : {"data.template", "data.num_frames", "data.fps", "data.max_frames", "data.spatial_pool", "data.temporal"})
    sets.push_back(std::string(key) + "=" + run.str(key));
  return sets;
}

}  // namespace vltune::training
