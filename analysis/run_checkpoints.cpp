#include "analysis/run_checkpoints.h"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace vltune::analysis {

std::optional<int64_t> checkpoint_step(const std::string& folder_name) {
  static const std::regex step_name(R"(step-(\d{1,15}))");
  std::smatch match;
  if (!std::regex_match(folder_name, match, step_name)) return std::nullopt;
  return std::stoll(match[1]);
}

std::vector<std::pair<int64_t, std::string>> run_checkpoints(const std::string& run_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  const auto root = fs::path(run_dir) / "checkpoints";
  if (fs::is_directory(root))
    for (const auto& entry : fs::directory_iterator(root))
      if (const auto step = checkpoint_step(entry.path().filename().string()); step && entry.is_directory())
        found.emplace_back(*step, entry.path().string());
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace vltune::analysis
