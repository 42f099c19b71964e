#include "training/recipe.h"

#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "adapters/placement_rules.h"
#include "core/error.h"
#include "core/problems.h"
#include "core/yaml_util.h"
#include "datasets/dataset_yaml.h"
#include "training/recipe_schema.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) parts.push_back(key.substr(start, dot - start));
  parts.push_back(key.substr(start));
  return parts;
}

const SchemaKey* schema_key(const std::string& key) {
  for (const auto& entry : recipe_schema())
    if (entry.path == key) return &entry;
  return nullptr;
}

// Records the origin of every key under `node` (prefix = its dotted path).
void record_origins(const YAML::Node& node, const std::string& prefix, const std::string& origin,
                    std::map<std::string, std::string>& origins) {
  if (!prefix.empty()) origins[prefix] = origin;
  if (!node.IsMap()) return;
  for (const auto& item : node)
    record_origins(item.second, prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar(),
                   origin, origins);
}

// Child over base: maps merge key by key (except adapters and datasets, which replace whole).
// Nodes are shared, never cloned, so every value keeps its file position.
YAML::Node merge(const YAML::Node& base, const YAML::Node& child, const std::string& prefix) {
  if (!base.IsMap() || !child.IsMap() || prefix == "adapters" || prefix == "data.train" || prefix == "data.eval")
    return child;
  YAML::Node merged(YAML::NodeType::Map);
  for (const auto& item : base) merged[item.first.Scalar()] = item.second;
  for (const auto& item : child) {
    const auto key = item.first.Scalar();
    const auto path = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node previous = base[key];
    merged[key] = previous ? merge(previous, item.second, path) : item.second;
  }
  return merged;
}

YAML::Node load_with_extends(const std::string& path, std::map<std::string, std::string>& origins,
                             std::vector<std::string>& chain) {
  const auto canonical = fs::weakly_canonical(path).string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) fail("[recipe] ", path, ": extends itself (cycle)");
  chain.push_back(canonical);
  const YAML::Node node = load_yaml_file(path);
  if (!node.IsMap()) fail("[recipe] ", path, ": a recipe is a YAML map");
  if (!node["extends"]) {
    record_origins(node, "", path, origins);
    return node;
  }
  const auto base_path = (fs::path(path).parent_path() / yaml_string(path, node["extends"], "extends")).string();
  if (!fs::exists(base_path)) fail("[recipe] ", yaml_where(path, node["extends"]), ": extends ", base_path, ", which does not exist");
  const YAML::Node base = load_with_extends(base_path, origins, chain);
  record_origins(node, "", path, origins);  // after the base's, so the child's keys win
  return merge(base, node, "");
}

void set_key(YAML::Node root, const std::vector<std::string>& parts, const YAML::Node& value) {
  if (parts.size() == 1) {
    root[parts[0]] = value;
    return;
  }
  if (!root[parts[0]] || !root[parts[0]].IsMap()) root[parts[0]] = YAML::Node(YAML::NodeType::Map);
  set_key(root[parts[0]], {parts.begin() + 1, parts.end()}, value);
}

// "train.lr, train.steps, ..." when `key` is a section of the schema, else "".
std::string section_keys(const std::string& key) {
  std::string keys;
  for (const auto& s : recipe_schema())
    if (s.path.rfind(key + ".", 0) == 0) keys += (keys.empty() ? "" : ", ") + s.path;
  return keys;
}

// The names a key under `prefix` may have ("" for the top level).
std::vector<std::string> sibling_names(const std::string& prefix) {
  const std::string head = prefix.empty() ? "" : prefix + ".";
  std::set<std::string> names;
  for (const auto& s : recipe_schema())
    if (s.path.rfind(head, 0) == 0) names.insert(s.path.substr(head.size(), s.path.find('.', head.size()) - head.size()));
  return {names.begin(), names.end()};
}

// A plain (unquoted) scalar that reads as a number but is not finite: `.nan`, `.inf`, `-.inf`.
bool non_finite(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() != "?") return false;
  try {
    return !std::isfinite(node.as<double>());
  } catch (const YAML::Exception&) {
    return false;
  }
}

// No recipe value (adapters' dropout included) may be NaN or infinite: each one found is a problem.
void non_finite_numbers(const YAML::Node& node, const std::string& key, const Recipe& recipe, std::vector<std::string>& problems) {
  if (non_finite(node)) problems.push_back(cat(recipe.where(key), ": key '", key, "': ", node.Scalar(), " is not a finite number"));
  if (node.IsSequence())
    for (std::size_t i = 0; i < node.size(); ++i) non_finite_numbers(node[i], cat(key, "[", i, "]"), recipe, problems);
  if (node.IsMap())
    for (const auto& item : node)
      non_finite_numbers(item.second, key.empty() ? item.first.Scalar() : key + "." + item.first.Scalar(), recipe, problems);
}

std::string type_problem(const SchemaKey& key, const YAML::Node& node) {
  auto scalar_as = [&](auto probe) {
    try {
      node.as<decltype(probe)>();
      return true;
    } catch (const YAML::Exception&) {
      return false;
    }
  };
  switch (key.type) {
    case KeyType::kString: return node.IsScalar() ? "" : "expected a string";
    case KeyType::kInt: return node.IsScalar() && scalar_as(int64_t{}) ? "" : "expected an integer";
    case KeyType::kFloat: return node.IsScalar() && scalar_as(double{}) ? "" : "expected a number";
    case KeyType::kBool: return node.IsScalar() && scalar_as(bool{}) ? "" : "expected true or false";
    case KeyType::kList: return node.IsSequence() ? "" : "expected a list";
    case KeyType::kMap: return node.IsMap() || node.IsSequence() ? "" : "expected a map";
    case KeyType::kEnum: {
      if (node.IsScalar() && std::find(key.choices.begin(), key.choices.end(), node.as<std::string>()) != key.choices.end()) return "";
      std::string choices;
      for (const auto& c : key.choices) choices += (choices.empty() ? "" : ", ") + c;
      return "expected one of " + choices;
    }
  }
  return "";
}

// A type problem, else a value outside the key's range (recipe_bounds()).
std::string value_problem(const SchemaKey& key, const YAML::Node& node) {
  if (auto problem = type_problem(key, node); !problem.empty()) return problem;
  if (key.type != KeyType::kInt && key.type != KeyType::kFloat) return "";
  for (const auto& bound : recipe_bounds())
    if (bound.path == key.path) {
      const double value = key.type == KeyType::kInt ? static_cast<double>(node.as<int64_t>()) : node.as<double>();
      if (std::isfinite(value) && (value < bound.min || value > bound.max))
        return cat(node.Scalar(), " is out of range: ", bound.meaning);
    }
  return "";
}

}  // namespace

Recipe Recipe::load(const std::string& path, const std::vector<std::string>& overrides) {
  Recipe recipe;
  recipe.path_ = path;
  std::vector<std::string> chain;
  recipe.root_ = load_with_extends(path, recipe.origin_, chain);
  for (const auto& assignment : overrides) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) fail("[recipe] --set ", assignment, ": expected key.path=value");
    const auto key = assignment.substr(0, eq);
    const YAML::Node value = load_yaml_text(assignment.substr(eq + 1), "--set " + assignment);
    set_key(recipe.root_, split_key(key), value);
    record_origins(value, key, "--set " + assignment, recipe.origin_);
  }

  // Validate everything, collecting every problem.
  std::vector<std::string> problems;
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& node, const std::string& prefix) {
    for (const auto& item : node) {
      const auto name = item.first.Scalar();  // load_yaml_file made sure keys are plain text
      const auto key = prefix.empty() ? name : prefix + "." + name;
      if (name.find('.') != std::string::npos) {
        problems.push_back(cat(yaml_where(recipe.origin_file(key), item.first), ": key '", name, "' holds a dot; nest it (",
                               name.substr(0, name.find('.')), ": {", name.substr(name.find('.') + 1), ": ...}): dotted keys are for --set"));
        continue;
      }
      if (const auto* entry = schema_key(key)) {
        if (const auto problem = value_problem(*entry, item.second); !problem.empty())
          problems.push_back(cat(recipe.where(key), ": key '", key, "': ", problem));
        continue;
      }
      const auto section = section_keys(key);  // a section (model, data, train, ...) is walked into
      if (!section.empty()) {
        if (item.second.IsMap())
          walk(item.second, key);
        else
          problems.push_back(cat(recipe.where(key), ": key '", key, "': expected a map (the section of ", section, "), found ",
                                 yaml_text(item.second)));
        continue;
      }
      const auto guess = closest_match(name, sibling_names(prefix));
      problems.push_back(cat(recipe.where(key), ": unknown key '", key, "'", guess.empty() ? "" : cat(" (did you mean '", guess, "'?)")));
    }
  };
  walk(recipe.root_, "");
  non_finite_numbers(recipe.root_, "", recipe, problems);
  for (const auto& entry : recipe_schema())
    if (entry.required && !recipe.has(entry.path)) problems.push_back(cat(path, ": required key '", entry.path, "' is missing (", entry.meaning, ")"));
  auto collect = [&](const std::string& section, const std::function<void()>& check) {
    try {
      check();
    } catch (const Error& e) {
      problems.push_back(e.what());
    } catch (const YAML::Exception& e) {  // a section's reader that read a value of the wrong type
      problems.push_back(cat(recipe.where(section), ": in '", section, "': ", e.what()));
    }
  };
  if (recipe.has("adapters"))
    collect("adapters", [&] { adapters::parse_placement(recipe.root_["adapters"], recipe.origin_file("adapters")); });
  for (const char* section : {"data.train", "data.eval"})
    if (recipe.has(section)) {
      const YAML::Node node = recipe.find(section);  // one dataset, or a list of them
      if (node.IsSequence())
        for (const auto& one : node) collect(section, [&] { datasets::parse_dataset_spec(one, recipe.origin_file(section)); });
      else
        collect(section, [&] { datasets::parse_dataset_spec(node, recipe.origin_file(section)); });
    }
  fail_if_any(cat("[recipe] ", path, ": ", problems.size(), " problem(s)"), problems);
  return recipe;
}

namespace {
// Walks down by recursion: assigning to an existing YAML::Node would rebind the tree itself.
YAML::Node find_in(const YAML::Node& node, const std::vector<std::string>& parts, std::size_t i) {
  if (i == parts.size()) return node;
  if (!node.IsMap()) return YAML::Node();
  const YAML::Node child = node[parts[i]];
  if (!child) return YAML::Node();
  return find_in(child, parts, i + 1);
}
}  // namespace

YAML::Node Recipe::find(const std::string& key) const { return find_in(root_, split_key(key), 0); }

bool Recipe::has(const std::string& key) const { return find(key).IsDefined() && !find(key).IsNull(); }

std::string Recipe::where(const std::string& key) const {
  auto it = origin_.find(key);
  if (it == origin_.end()) return path_;
  if (it->second.rfind("--set ", 0) == 0) return it->second;
  return yaml_where(it->second, find(key));
}

namespace {
YAML::Node value_or_default(const Recipe& recipe, const std::string& key, YAML::Node found) {
  if (found.IsDefined() && !found.IsNull()) return found;
  const auto* entry = schema_key(key);
  if (!entry) fail("[recipe] no key '", key, "' in the schema");
  if (entry->default_value.empty()) fail("[recipe] ", recipe.path(), ": key '", key, "' is not set and has no default");
  return YAML::Load(entry->default_value);
}
}  // namespace

std::string Recipe::str(const std::string& key) const { return value_or_default(*this, key, find(key)).as<std::string>(); }
int64_t Recipe::integer(const std::string& key) const { return value_or_default(*this, key, find(key)).as<int64_t>(); }
double Recipe::number(const std::string& key) const { return value_or_default(*this, key, find(key)).as<double>(); }
bool Recipe::boolean(const std::string& key) const { return value_or_default(*this, key, find(key)).as<bool>(); }

std::string Recipe::origin_file(const std::string& key) const {
  auto it = origin_.find(key);
  if (it == origin_.end() || it->second.rfind("--set ", 0) == 0) return path_;
  return it->second;
}

std::string Recipe::resolved_yaml(const std::string& run_dir) const {
  YAML::Node copy = YAML::Clone(root_);
  copy.remove("extends");
  set_key(copy, {"output", "dir"}, YAML::Node(fs::absolute(run_dir).lexically_normal().string()));
  auto absolute = [](const std::string& folder, const std::string& value) {
    return fs::path(value).is_absolute() ? value : fs::absolute(fs::path(folder) / value).lexically_normal().string();
  };
  for (const char* key : {"model.path", "model.tokenizer", "data.cache"})
    if (has(key)) set_key(copy, split_key(key), YAML::Node(fs::absolute(file_path(key)).lexically_normal().string()));
  for (const char* section : {"data.train", "data.eval"}) {
    if (!has(section)) continue;
    const auto folder = fs::path(origin_file(section)).parent_path().string();
    YAML::Node node = find_in(copy, split_key(section), 0);
    auto fix = [&](YAML::Node spec) {
      if (!spec.IsMap()) return;
      for (const char* field : {"path", "media_root"})
        if (spec[field]) spec[field] = absolute(folder, spec[field].Scalar());
      if (YAML::Node allowed = spec["allow_media_from"]) {  // a path or a list of them
        if (!allowed.IsSequence()) spec["allow_media_from"] = absolute(folder, allowed.Scalar());
        for (std::size_t i = 0; allowed.IsSequence() && i < allowed.size(); ++i) allowed[i] = absolute(folder, allowed[i].Scalar());
      }
    };
    if (node.IsSequence())
      for (auto spec : node) fix(spec);
    else
      fix(node);
  }
  YAML::Emitter out;
  out << copy;
  return std::string("# the resolved recipe of this run (extends and --set applied, paths absolute)\n") + out.c_str() + "\n";
}

std::string Recipe::file_path(const std::string& key) const {
  const auto value = str(key);
  auto it = origin_.find(key);
  if (fs::path(value).is_absolute() || it == origin_.end() || it->second.rfind("--set ", 0) == 0) return value;
  return (fs::path(it->second).parent_path() / value).lexically_normal().string();
}

}  // namespace vltune::training
