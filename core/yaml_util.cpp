#include "core/yaml_util.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace vltune {

namespace {

// Walks the tree as a reader would, aliases expanded, and stops at the first problem.
class TreeCheck {
 public:
  TreeCheck(const std::string& file, const YamlLimits& limits) : file_(file), limits_(limits) {}
  void visit(const YAML::Node& node, int depth) {
    if (++nodes_ > limits_.max_nodes)
      fail("[yaml] ", file_, ": more than ", limits_.max_nodes, " nodes once its aliases are expanded (an alias bomb?)");
    if (depth > limits_.max_depth)
      fail("[yaml] ", yaml_where(file_, node), ": nested more than ", limits_.max_depth, " levels deep (an alias inside itself?)");
    if (node.IsSequence()) {
      for (const auto& item : node) visit(item, depth + 1);
      return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, int> seen;  // key -> its line
    for (const auto& item : node) {
      if (!item.first.IsScalar())
        fail("[yaml] ", yaml_where(file_, item.first), ": a map key must be plain text, found ", yaml_text(item.first));
      const auto [first, fresh] = seen.emplace(item.first.Scalar(), item.first.Mark().line + 1);
      if (!fresh)
        fail("[yaml] ", yaml_where(file_, item.first), ": duplicate key '", item.first.Scalar(), "' (first set at line ",
             first->second, ")");
      visit(item.second, depth + 1);
    }
  }

 private:
  const std::string& file_;
  const YamlLimits& limits_;
  int64_t nodes_ = 0;
};

}  // namespace

void check_yaml_tree(const YAML::Node& root, const std::string& file, const YamlLimits& limits) {
  TreeCheck(file, limits).visit(root, 0);
}

YAML::Node load_yaml_file(const std::string& path, const YamlLimits& limits) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    fail("[yaml] ", path, ": cannot open the file");
  } catch (const YAML::ParserException& e) {
    fail("[yaml] ", path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg);
  }
  check_yaml_tree(root, path, limits);
  return root;
}

YAML::Node load_yaml_text(const std::string& text, const std::string& where, const YamlLimits& limits) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail("[yaml] ", where, ": not valid YAML: ", e.msg);
  }
  check_yaml_tree(root, where, limits);
  return root;
}

std::string yaml_where(const std::string& file, const YAML::Node& node) {
  const auto mark = node.Mark();
  if (mark.line < 0) return file;
  return cat(file, ":", mark.line + 1, ":", mark.column + 1);
}

std::string yaml_text(const YAML::Node& node) {
  // Never emitted whole: a node may be an alias bomb or contain itself.
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  if (!node.IsScalar()) return "nothing";
  const auto& text = node.Scalar();
  return "'" + (text.size() > 80 ? text.substr(0, 77) + "..." : text) + "'";
}

std::string yaml_string(const std::string& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail("[yaml] ", yaml_where(file, node), ": '", key, "': expected text, found ", yaml_text(node));
  return node.Scalar();
}

namespace {
// Names users bring from PEFT, transformers' Trainer and torchtune, and vltune's for the same thing.
const std::map<std::string, std::string>& foreign_names() {
  static const std::map<std::string, std::string> names = {
      {"r", "rank"},
      {"lora_alpha", "alpha"},
      {"lora_dropout", "dropout"},
      {"target_modules", "modules"},
      {"layers_to_transform", "layers"},
      {"learning_rate", "lr"},
      {"max_steps", "steps"},
      {"num_train_epochs", "epochs"},
      {"per_device_train_batch_size", "batch_size"},
      {"gradient_accumulation_steps", "grad_accum"},
      {"max_grad_norm", "clip_grad_norm"},
      {"lr_scheduler_type", "schedule"},
      {"output_dir", "dir"},
  };
  return names;
}
}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  if (const auto foreign = foreign_names().find(word); foreign != foreign_names().end())
    if (std::find(candidates.begin(), candidates.end(), foreign->second) != candidates.end()) return foreign->second;
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
    const auto key = yaml_string(file, item.first, "a key of " + context);
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const auto suggestion = closest_match(key, allowed);
    problems += cat("\n  ", yaml_where(file, item.first), ": unknown key '", key, "' in ", context,
                    suggestion.empty() ? "" : cat(" (did you mean '", suggestion, "'?)"));
  }
  if (!problems.empty()) fail("[yaml] ", file, ": unknown keys:", problems);
}

}  // namespace vltune
