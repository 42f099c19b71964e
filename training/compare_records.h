// What `vltune compare` keeps in a run's folder to reuse the run instead of training it again
// (docs/compare.md, "Finished runs are reused"). Torch-free.
//
//   RUN/recipe.yaml       the run's resolved recipe; a record below counts only while this equals
//                         the recipe the run would have now
//   RUN/compare_run.json  a finished run's record (analysis::variant_run_json)
//   RUN/diverged.json     a tuning run that stopped on values that are not finite
//                         (TrainingDiverged): the step and the cause; its candidate is never chosen
//   .replaced-NAME        beside RUN: a finished run whose folder trains again (another recipe, or
//                         --fresh) waits here until the new run finishes (a failed or diverged
//                         one leaves it), so it is never lost first
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "analysis/compare_report.h"
#include "training/recipe.h"

namespace vltune::training {

inline constexpr const char* kFinishedRun = "compare_run.json";
inline constexpr const char* kDivergedRun = "diverged.json";

// How a run ended: its record when it finished, else the step where it diverged and why.
struct RunOutcome {
  std::optional<analysis::VariantRun> run;
  int64_t diverged_step = 0;
  std::string diverged_cause;
};

// What a run of this very recipe left in `run_dir`: its record when it finished, or (`may_diverge`:
// tuning runs) that it diverged; nullopt when there is none, or it ran another recipe (logged;
// `may_train`: whether this process trains it again, which the log line says). Throws ([compare])
// naming the file when a record is damaged.
std::optional<RunOutcome> recorded_outcome(const std::string& run_dir, const Recipe& recipe, bool may_train, bool may_diverge);

// Clears `run_dir` for a new run without losing a finished one: a finished run moves aside (to
// .replaced-NAME, replacing an older one there, since it is newer and finished too); anything else
// is removed. Returns the set-aside folder when one exists, to remove once the new run has finished.
std::optional<std::filesystem::path> clear_for_new_run(const std::string& run_dir);

void write_finished_record(const std::string& run_dir, const analysis::VariantRun& run);
void write_diverged_record(const std::string& run_dir, int64_t step, const std::string& cause);

}  // namespace vltune::training
