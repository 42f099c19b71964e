#include "adapters/placement_rules.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/text.h"
#include "core/yaml_util.h"
#include "multimodal/model_components.h"

namespace vltune::adapters {

namespace {

const std::map<std::string, std::map<std::string, std::vector<std::string>>>& module_groups() {
  static const std::map<std::string, std::map<std::string, std::vector<std::string>>> groups = {
      {"language",
       {{"attention", {"q_proj", "k_proj", "v_proj", "o_proj"}},
        {"mlp", {"gate_proj", "up_proj", "down_proj"}},
        {"all_linear", {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}}}},
      // CLIP/SigLIP (q/k/v/out_proj, fc1/fc2) and the Qwen towers (fused qkv and proj; gated or fc MLPs)
      {"vision",
       {{"attention", {"q_proj", "k_proj", "v_proj", "out_proj", "qkv", "proj"}},
        {"mlp", {"fc1", "fc2", "gate_proj", "up_proj", "down_proj"}},
        {"all_linear", {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2", "qkv", "proj", "gate_proj", "up_proj",
                        "down_proj"}}}},
      // SigLIP's pooling head (which LLaVA never runs, so adapting it changes nothing)
      {"vision_head", {{"attention", {"out_proj"}}, {"mlp", {"fc1", "fc2"}}, {"all_linear", {"out_proj", "fc1", "fc2"}}}},
      // LLaVA's projector (linear_1/2) and Qwen's patch merger (mlp.0, mlp.2)
      {"projector", {{"all_linear", {"linear_1", "linear_2", "0", "2"}}}},
      {"lm_head", {{"all_linear", {"lm_head"}}}},  // the output projection (untied models), e.g. for pretraining
  };
  return groups;
}


const std::vector<std::string> kRuleKeys = {"method", "rank", "alpha", "dropout", "rslora", "norm_grad", "d_initial",
                                            "projection_prng_key", "component", "modules", "layers", "exclude"};
const std::vector<std::string> kTopKeys = {"preset", "method", "rank", "alpha", "dropout", "rslora", "norm_grad",
                                           "d_initial", "projection_prng_key", "rules", "embeddings"};

template <class T>
T scalar(const YAML::Node& node, const std::string& file, const std::string& what) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail("[adapters] ", yaml_where(file, node), ": '", what, "' must be ", std::is_same_v<T, bool> ? "true or false"
         : std::is_integral_v<T> ? "an integer" : std::is_floating_point_v<T> ? "a number" : "a string");
  }
}

// Reads the spec keys present in `node` over `spec` (defaults).
void read_spec(const YAML::Node& node, const std::string& file, AdapterSpec& spec, int64_t& vera_seed) {
  if (node["method"]) spec.method = parse_method(scalar<std::string>(node["method"], file, "method"), yaml_where(file, node["method"]));
  if (node["rank"]) spec.rank = scalar<int64_t>(node["rank"], file, "rank");
  if (node["alpha"]) spec.alpha = scalar<double>(node["alpha"], file, "alpha");
  if (node["dropout"]) spec.dropout = scalar<double>(node["dropout"], file, "dropout");
  if (node["rslora"]) spec.rslora = scalar<bool>(node["rslora"], file, "rslora");
  if (node["norm_grad"]) spec.norm_grad = scalar<bool>(node["norm_grad"], file, "norm_grad");
  if (node["d_initial"]) spec.d_initial = scalar<double>(node["d_initial"], file, "d_initial");
  if (node["projection_prng_key"]) vera_seed = scalar<int64_t>(node["projection_prng_key"], file, "projection_prng_key");
  if (node["rank"]) check_rank(spec.rank, cat("[adapters] ", yaml_where(file, node["rank"]), ": 'rank'"));
  if (spec.dropout < 0 || spec.dropout >= 1) fail("[adapters] ", yaml_where(file, node["dropout"]), ": 'dropout' must be in [0, 1)");
}

LayerSelector parse_layers(const YAML::Node& node, const std::string& file) {
  LayerSelector selector;
  const auto where = yaml_where(file, node);
  if (node.IsSequence()) {
    selector.kind = LayerSelector::Kind::kList;
    for (const auto& item : node) selector.values.push_back(scalar<int64_t>(item, file, "layers"));
    return selector;
  }
  const auto text = scalar<std::string>(node, file, "layers");
  std::smatch match;
  if (text == "all") return selector;
  if (std::regex_match(text, match, std::regex(R"(\s*(\d+)\s*)"))) {
    selector.kind = LayerSelector::Kind::kList;
    selector.values = {std::stoll(match[1])};
  } else if (std::regex_match(text, match, std::regex(R"(\s*(\d+)\s*-\s*(\d+)\s*)"))) {
    selector.kind = LayerSelector::Kind::kRange;
    selector.values = {std::stoll(match[1]), std::stoll(match[2])};
    if (selector.values[0] > selector.values[1]) fail("[adapters] ", where, ": layer range '", text, "' is reversed");
  } else if (std::regex_match(text, match, std::regex(R"(\s*last\s*:\s*(\d+)\s*)"))) {
    selector.kind = LayerSelector::Kind::kLast;
    selector.values = {std::stoll(match[1])};
  } else {
    fail("[adapters] ", where, ": 'layers' must be all, a list of layer numbers, \"A-B\" or \"last:N\"; got '", text, "'");
  }
  return selector;
}

bool is_module_group(const std::string& name) { return name == "attention" || name == "mlp" || name == "all_linear"; }

// True when `modules` names leaf modules only (no attention/mlp/all_linear group).
bool names_modules_only(const YAML::Node& modules) {
  if (!modules.IsSequence()) return !modules.IsScalar() || !is_module_group(modules.Scalar());
  for (const auto& item : modules)
    if (item.IsScalar() && is_module_group(item.Scalar())) return false;
  return true;
}

std::vector<std::string> expand_modules(const YAML::Node& node, const std::string& file, const std::string& component) {
  std::vector<std::string> names;
  std::vector<YAML::Node> items;
  if (node.IsSequence()) {
    for (const auto& item : node) items.push_back(item);
  } else {
    items.push_back(node);
  }
  const auto& groups = module_groups().at(component);
  for (const auto& item : items) {
    const auto name = scalar<std::string>(item, file, "modules");
    if (is_module_group(name)) {
      auto group = groups.find(name);
      if (group == groups.end()) fail("[adapters] ", yaml_where(file, item), ": the ", component, " has no '", name, "' modules (use all_linear or linear_1, linear_2)");
      names.insert(names.end(), group->second.begin(), group->second.end());
    } else {
      names.push_back(name);
    }
  }
  return names;
}

PlacementRule parse_rule(const YAML::Node& node, const std::string& file, const AdapterSpec& defaults,
                         int64_t default_seed, const std::string& origin) {
  if (!node.IsMap()) fail("[adapters] ", yaml_where(file, node), ": each rule must be a map with component and modules");
  check_known_keys(file, node, kRuleKeys, origin);
  PlacementRule rule;
  rule.origin = cat(origin, " (", yaml_where(file, node), ")");
  rule.spec = defaults;
  rule.vera_seed = default_seed;
  read_spec(node, file, rule.spec, rule.vera_seed);
  if (!node["component"]) fail("[adapters] ", yaml_where(file, node), ": ", origin, " needs 'component' (vision, vision_head, projector, language or lm_head)");
  rule.component = scalar<std::string>(node["component"], file, "component");
  if (!module_groups().count(rule.component))
    fail("[adapters] ", yaml_where(file, node["component"]), ": unknown component '", rule.component, "' (expected vision, vision_head, projector, language or lm_head)");
  if (!node["modules"]) fail("[adapters] ", yaml_where(file, node), ": ", origin, " needs 'modules'");
  rule.modules = expand_modules(node["modules"], file, rule.component);
  if (node["layers"]) rule.layers = parse_layers(node["layers"], file);
  rule.specificity = (names_modules_only(node["modules"]) ? 2 : 0) + (rule.layers.kind != LayerSelector::Kind::kAll ? 1 : 0);
  if (node["exclude"]) {
    const auto& exclude = node["exclude"];
    if (exclude.IsSequence()) {
      for (const auto& item : exclude) rule.exclude.push_back(scalar<std::string>(item, file, "exclude"));
    } else {
      rule.exclude.push_back(scalar<std::string>(exclude, file, "exclude"));
    }
  }
  return rule;
}

// A preset is a list of rules written in the same YAML a user would write.
const std::map<std::string, std::string>& presets() {
  static const std::map<std::string, std::string> table = {
      {"attention_only", "[{component: language, modules: attention}]"},
      {"full_layer", "[{component: language, modules: [attention, mlp]}]"},
      {"dora_half",
       "[{component: language, modules: [q_proj, k_proj, v_proj], method: dora},"
       " {component: language, modules: [o_proj, gate_proj, up_proj, down_proj], method: magnitude}]"},
      {"vision_and_language",
       "[{component: vision, modules: all_linear}, {component: language, modules: all_linear}]"},
  };
  return table;
}

}  // namespace

std::string component_of(const std::string& path) { return multimodal::component_of(path); }

bool LayerSelector::matches(int64_t layer, int64_t num_layers) const {
  switch (kind) {
    case Kind::kAll: return true;
    case Kind::kList: return std::find(values.begin(), values.end(), layer) != values.end();
    case Kind::kRange: return layer >= values[0] && layer <= values[1];
    case Kind::kLast: return layer >= num_layers - values[0];
  }
  return false;
}

std::string LayerSelector::missing_layers(int64_t num_layers) const {
  switch (kind) {
    case Kind::kAll: return "";
    case Kind::kList: {
      std::string missing;
      for (auto v : values)
        if (v < 0 || v >= num_layers) missing += (missing.empty() ? "" : ", ") + std::to_string(v);
      return missing.empty() ? "" : cat("no layer ", missing);
    }
    case Kind::kRange: return values[1] < num_layers ? "" : cat("no layers ", std::max(values[0], num_layers), "-", values[1]);
    case Kind::kLast:
      return values[0] >= 1 && values[0] <= num_layers ? "" : values[0] < 1 ? "no last 0 layers" : cat("only ", num_layers, " layers");
  }
  return "";
}

std::string LayerSelector::describe() const {
  switch (kind) {
    case Kind::kAll: return "all";
    case Kind::kRange: return cat(values[0], "-", values[1]);
    case Kind::kLast: return cat("last:", values[0]);
    case Kind::kList: {
      std::string text;
      for (auto v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
      return "[" + text + "]";
    }
  }
  return "";
}

Placement parse_placement(const YAML::Node& adapters, const std::string& file) {
  Placement placement;
  if (adapters.IsSequence()) {
    int index = 0;
    for (const auto& rule : adapters) placement.rules.push_back(parse_rule(rule, file, {}, 0, cat("rule ", ++index)));
    return placement;
  }
  if (!adapters.IsMap()) fail("[adapters] ", yaml_where(file, adapters), ": 'adapters' must be a list of rules or a map with preset/rules");
  check_known_keys(file, adapters, kTopKeys, "adapters");
  AdapterSpec defaults;
  int64_t seed = 0;
  read_spec(adapters, file, defaults, seed);
  if (adapters["preset"]) {
    const auto name = scalar<std::string>(adapters["preset"], file, "preset");
    auto it = presets().find(name);
    if (it == presets().end()) {
      std::vector<std::string> names;
      for (const auto& entry : presets()) names.push_back(entry.first);
      const auto guess = closest_match(name, names);
      fail("[adapters] ", yaml_where(file, adapters["preset"]), ": unknown preset '", name, "'",
           guess.empty() ? "" : " (did you mean '" + guess + "'?)", "; presets: attention_only, full_layer, dora_half, vision_and_language");
    }
    int index = 0;
    for (const auto& rule : YAML::Load(it->second))
      placement.rules.push_back(parse_rule(rule, "preset " + name, defaults, seed, cat("preset ", name, ", rule ", ++index)));
  }
  if (adapters["embeddings"]) {
    const auto value = scalar<std::string>(adapters["embeddings"], file, "embeddings");
    if (value != "train" && value != "frozen")
      fail("[adapters] ", yaml_where(file, adapters["embeddings"]), ": 'embeddings' is train or frozen, not '", value, "'");
    placement.train_embeddings = value == "train";
  }
  if (adapters["rules"]) {
    if (!adapters["rules"].IsSequence()) fail("[adapters] ", yaml_where(file, adapters["rules"]), ": 'rules' must be a list");
    int index = 0;
    for (const auto& rule : adapters["rules"]) placement.rules.push_back(parse_rule(rule, file, defaults, seed, cat("rule ", ++index)));
  }
  if (placement.rules.empty()) fail("[adapters] ", yaml_where(file, adapters), ": no preset and no rules: nothing to adapt");
  return placement;
}

Placement load_placement(const std::string& yaml_path) {
  const auto root = load_yaml_file(yaml_path);
  if (!root.IsMap() || !root["adapters"]) fail("[adapters] ", yaml_path, ": expected a top-level 'adapters:' key");
  return parse_placement(root["adapters"], yaml_path);
}

}  // namespace vltune::adapters
