#include "analysis/run_checkpoints.h"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace vltune::analysis {

std::vector<std::pair<int64_t, std::string>> run_checkpoints(const std::string& run_dir) {
  static const std::regex step_name(R"(step-(\d{1,15}))");  // other names (step-zzzz, a .tmp) are not checkpoints
  std::vector<std::pair<int64_t, std::string>> found;
  const auto root = fs::path(run_dir) / "checkpoints";
  if (fs::is_directory(root))
    for (const auto& entry : fs::directory_iterator(root)) {
      std::smatch match;
      const auto name = entry.path().filename().string();
      if (entry.is_directory() && std::regex_match(name, match, step_name)) found.emplace_back(std::stoll(match[1]), entry.path().string());
    }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace vltune::analysis
