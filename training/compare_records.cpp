#include "training/compare_records.h"

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "training/append_file.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {

// Where a finished run waits while its folder trains again: beside it, hidden, under a name no
// variant can take (variant names never start with '.') and no `NAME-seed*` glob matches.
fs::path set_aside_path(const std::string& run_dir) {
  const fs::path path(run_dir);
  return path.parent_path() / (".replaced-" + path.filename().string());
}

std::string divergence_json(int64_t step, const std::string& cause) {
  return nlohmann::json{{"diverged_at_step", step}, {"cause", cause}}.dump(1) + "\n";
}

RunOutcome divergence_from_json(const std::string& path) {
  RunOutcome out;
  try {
    const auto json = nlohmann::json::parse(read_file_bytes(path));
    out.diverged_step = json.at("diverged_at_step").get<int64_t>();
    out.diverged_cause = json.at("cause").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    fail("[compare] ", path, ": not a diverged run's record (", e.what(), "); remove it to train the run again");
  }
  if (out.diverged_step < 1) fail("[compare] ", path, ": diverged_at_step is ", out.diverged_step, "; expected a step >= 1");
  return out;
}

}  // namespace

std::optional<fs::path> clear_for_new_run(const std::string& run_dir) {
  const auto aside = set_aside_path(run_dir);
  if (fs::exists(fs::path(run_dir) / kFinishedRun)) {
    fs::remove_all(aside);
    fs::rename(run_dir, aside);
  } else if (fs::exists(run_dir)) {
    fs::remove_all(run_dir);
  }
  return fs::exists(aside) ? std::optional<fs::path>(aside) : std::nullopt;
}

std::optional<RunOutcome> recorded_outcome(const std::string& run_dir, const Recipe& recipe, bool may_train, bool may_diverge) {
  const fs::path dir(run_dir);
  const auto finished = dir / kFinishedRun, diverged = dir / kDivergedRun, recipe_file = dir / "recipe.yaml";
  const bool has_finished = fs::exists(finished), has_diverged = may_diverge && fs::exists(diverged);
  if (!(has_finished || has_diverged) || !fs::exists(recipe_file)) return std::nullopt;
  if (read_file_bytes(recipe_file.string()) != recipe.resolved_yaml(run_dir)) {
    const char* ended = has_finished ? "finished" : "diverged";
    if (!may_train) log_info(cat(run_dir, ": ", ended, " with another recipe; another shard trains it"));
    else if (has_finished)
      log_info(cat(run_dir, ": finished with another recipe; it trains again (the finished run stays in ",
                   set_aside_path(run_dir).filename().string(), " beside it until the new one finishes)"));
    else log_info(cat(run_dir, ": diverged with another recipe; it trains again"));
    return std::nullopt;
  }
  if (has_finished) {
    RunOutcome outcome;
    outcome.run = analysis::variant_run_from_json(read_file_bytes(finished.string()), finished.string());
    return outcome;
  }
  return divergence_from_json(diverged.string());
}

void write_finished_record(const std::string& run_dir, const analysis::VariantRun& run) {
  write_file_atomically((fs::path(run_dir) / kFinishedRun).string(), analysis::variant_run_json(run));
}

void write_diverged_record(const std::string& run_dir, int64_t step, const std::string& cause) {
  write_file_atomically((fs::path(run_dir) / kDivergedRun).string(), divergence_json(step, cause));
}

}  // namespace vltune::training
