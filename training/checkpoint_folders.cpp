#include "training/checkpoint_folders.h"

#include <algorithm>

namespace fs = std::filesystem;

namespace vltune::training {

std::vector<fs::path> checkpoints_of(const std::string& run_dir) {
  std::vector<fs::path> found;
  const auto root = fs::path(run_dir) / "checkpoints";
  if (!fs::exists(root)) return found;
  for (const auto& entry : fs::directory_iterator(root)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind(kCheckpointPrefix, 0) == 0 && name.find(".tmp") == std::string::npos)
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::optional<std::string> latest_checkpoint(const std::string& run_dir) {
  const auto all = checkpoints_of(run_dir);
  if (all.empty()) return std::nullopt;
  return all.back().string();
}

}  // namespace vltune::training
