#include "adapters/placement.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/method_table.h"
#include "core/error.h"
#include "core/problems.h"
#include "core/text.h"

namespace vltune::adapters {

std::vector<LinearSite> linear_sites(torch::nn::Module& model) {
  static const std::regex layer_pattern(R"(\.(?:layers|blocks)\.(\d+)\.)");
  std::vector<LinearSite> sites;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value());
    if (!linear) continue;
    LinearSite site;
    site.path = item.key();
    site.component = component_of(site.path);
    site.leaf = site.path.substr(site.path.rfind('.') + 1);
    std::smatch match;
    if (std::regex_search(site.path, match, layer_pattern)) site.layer = std::stoll(match[1]);
    site.linear = Linear(linear);
    sites.push_back(site);
  }
  return sites;
}

const std::vector<std::string>& embedding_modules() {
  static const std::vector<std::string> modules = {"embed_tokens", "patch_embedding", "position_embedding"};
  return modules;
}

std::vector<TensorSite> embedding_sites(torch::nn::Module& model) {
  std::vector<TensorSite> sites;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const auto& name = item.key();
    if (!ends_with(name, ".weight")) continue;
    const auto module = name.substr(0, name.size() - 7);
    const auto leaf = module.substr(module.rfind('.') + 1);
    const auto& names = embedding_modules();
    if (std::find(names.begin(), names.end(), leaf) != names.end()) sites.push_back({module, item.value()});
  }
  if (sites.empty()) fail("[adapters] embeddings: train, but the model has none of embed_tokens, patch_embedding, position_embedding");
  return sites;
}

namespace {

bool rule_matches(const PlacementRule& rule, const LinearSite& site, const std::map<std::string, int64_t>& layers_in) {
  if (site.component != rule.component) return false;
  if (std::find(rule.modules.begin(), rule.modules.end(), site.leaf) == rule.modules.end()) return false;
  if (site.layer && !rule.layers.matches(*site.layer, layers_in.at(site.component))) return false;
  return std::none_of(rule.exclude.begin(), rule.exclude.end(),
                      [&](const std::string& suffix) { return ends_with(site.path, suffix); });
}

// What a rule that matches nothing says: what it asked for and what the component has.
std::string matches_nothing(const PlacementRule& rule, const std::vector<LinearSite>& sites,
                            const std::map<std::string, int64_t>& layers_in) {
  std::set<std::string> candidates;
  for (const auto& site : sites)
    if (site.component == rule.component) candidates.insert(site.leaf);
  std::string listed, wanted;
  for (const auto& name : candidates) listed += (listed.empty() ? "" : ", ") + name;
  for (const auto& name : rule.modules) wanted += (wanted.empty() ? "" : ", ") + name;
  const auto layers = layers_in.find(rule.component);
  return cat(rule.origin, " matches no module (", rule.component, ": ", wanted, ", layers ", rule.layers.describe(),
             "); the ", rule.component, " has: ", listed.empty() ? "no linear modules" : listed,
             layers != layers_in.end() ? cat(" in layers 0-", layers->second - 1) : "");
}

// A rule choosing layers its component lacks (layers: [0, 9] on 4 layers), or any layers where
// the component has none.
std::string layers_missing(const PlacementRule& rule, const std::map<std::string, int64_t>& layers_in) {
  if (rule.layers.kind == LayerSelector::Kind::kAll) return "";
  const auto layers = layers_in.find(rule.component);
  if (layers == layers_in.end()) return cat(rule.origin, " chooses layers ", rule.layers.describe(), ", but the ", rule.component, " has no layers");
  const auto missing = rule.layers.missing_layers(layers->second);
  return missing.empty() ? "" : cat(rule.origin, " chooses layers ", rule.layers.describe(), ", but the ", rule.component,
                                    " has ", missing, " (layers 0-", layers->second - 1, ")");
}

}  // namespace

std::vector<PlannedAdapter> plan_adapters(const Placement& placement, const std::vector<LinearSite>& sites) {
  std::map<std::string, int64_t> layers_in;  // component -> number of layers
  for (const auto& site : sites)
    if (site.layer) layers_in[site.component] = std::max(layers_in[site.component], *site.layer + 1);

  // Each module's most specific matching rule (placement_rules.h); equally specific rules are an error.
  std::map<std::string, const PlacementRule*> winner;
  std::vector<std::string> problems;
  for (const auto& rule : placement.rules) {
    if (auto missing = layers_missing(rule, layers_in); !missing.empty()) problems.push_back(missing);
    std::size_t matched = 0;
    for (const auto& site : sites) {
      if (!rule_matches(rule, site, layers_in)) continue;
      ++matched;
      auto [it, inserted] = winner.emplace(site.path, &rule);
      if (inserted || rule.specificity < it->second->specificity) continue;
      if (rule.specificity == it->second->specificity)
        problems.push_back(cat(site.path, " is matched by two rules of the same specificity: ", it->second->origin, " and ",
                               rule.origin, " (name the modules or choose layers in the one that should win, or exclude it from the other)"));
      it->second = &rule;
    }
    if (matched == 0) problems.push_back(matches_nothing(rule, sites, layers_in));
  }
  fail_if_any("[adapters] the placement rules do not fit the model", problems);
  // In rule order, then model order: without overlaps, the order the rules were written in.
  std::vector<PlannedAdapter> planned;
  for (const auto& rule : placement.rules)
    for (const auto& site : sites) {
      auto it = winner.find(site.path);
      if (it != winner.end() && it->second == &rule) planned.push_back({site, rule.spec, rule.origin, rule.vera_seed});
    }
  return planned;
}

std::string describe_plan(const std::vector<PlannedAdapter>& plan, int64_t model_parameters) {
  std::ostringstream out;
  out << std::left << std::setw(52) << "module" << std::setw(11) << "method" << std::setw(6) << "rank" << std::setw(8)
      << "alpha" << std::setw(11) << "trainable" << "placed by\n";
  int64_t total = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> by_method;  // method -> (modules, parameters)
  for (const auto& p : plan) {
    const auto& method = method_info(p.spec.method);
    const int64_t params = method.parameters(p.spec, p.site.linear->out_features(), p.site.linear->in_features());
    out << std::setw(52) << p.site.path << std::setw(11) << method.name << std::setw(6)
        << (method.takes_rank ? std::to_string(p.spec.rank) : "-") << std::setw(8)
        << (method.takes_alpha ? cat(p.spec.alpha) : "-") << std::setw(11)
        << params << p.rule_origin << "\n";
    total += params;
    auto& entry = by_method[method.name];
    ++entry.first;
    entry.second += params;
  }
  out << "\n";
  for (const auto& [method, counts] : by_method)
    out << method << ": " << counts.first << " modules, " << counts.second << " parameters\n";
  out << "total: " << plan.size() << " modules, " << total << " trainable parameters = " << std::setprecision(4)
      << 100.0 * static_cast<double>(total) / static_cast<double>(std::max<int64_t>(model_parameters, 1))
      << "% of the model's " << model_parameters << "\n";
  return out.str();
}

}  // namespace vltune::adapters
