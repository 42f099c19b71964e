#include "core/yaml_util.h"

#include <algorithm>

#include "core/error.h"

namespace vltune {

YAML::Node load_yaml_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    fail("[yaml] ", path, ": cannot open the file");
  } catch (const YAML::ParserException& e) {
    fail("[yaml] ", path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg);
  }
}

std::string yaml_where(const std::string& file, const YAML::Node& node) {
  const auto mark = node.Mark();
  if (mark.line < 0) return file;
  return cat(file, ":", mark.line + 1, ":", mark.column + 1);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    std::vector<std::size_t> row(candidate.size() + 1);
    for (std::size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= candidate.size(); ++j) {
        const std::size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (word[i - 1] == candidate[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    if (row.back() < best_distance) {
      best_distance = row.back();
      best = candidate;
    }
  }
  return best;
}

void check_known_keys(const std::string& file, const YAML::Node& map, const std::vector<std::string>& allowed,
                      const std::string& context) {
  std::string problems;
  for (const auto& item : map) {
    const auto key = item.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const auto suggestion = closest_match(key, allowed);
    problems += cat("\n  ", yaml_where(file, item.first), ": unknown key '", key, "' in ", context,
                    suggestion.empty() ? "" : cat(" (did you mean '", suggestion, "'?)"));
  }
  if (!problems.empty()) fail("[yaml] ", file, ": unknown keys:", problems);
}

}  // namespace vltune
