#include "training/checkpoint_folders.h"

#include <cstdio>

#include "analysis/run_checkpoints.h"

namespace vltune::training {

std::string checkpoint_folder_name(int64_t step) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "%08lld", static_cast<long long>(step));
  return kCheckpointPrefix + digits;
}

std::optional<std::string> latest_checkpoint(const std::string& run_dir) {
  const auto all = analysis::run_checkpoints(run_dir);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

}  // namespace vltune::training
