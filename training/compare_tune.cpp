#include "training/compare_tune.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "analysis/paired_bootstrap.h"
#include "core/error.h"
#include "core/metric_kinds.h"
#include "core/yaml_util.h"

namespace vltune::training {

namespace {

std::string g_format(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

}  // namespace

const char* const kTuningRule =
    "the best primary metric on the validation split; among equal ones the lower validation loss (when reported), then the smaller lr";

std::vector<LrCandidate> read_variant_tune(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsSequence() || node.size() == 0)
    fail("[compare] ", yaml_where(file, node), ": '", key, "': expected a non-empty list of learning rates, such as [1e-3, 2e-3]");
  std::vector<LrCandidate> out;
  for (const auto& item : node) {
    const auto value = yaml_as<double>(file, item, key, "a learning rate (a positive number)");
    if (!std::isfinite(value) || value <= 0 || value > 1e30)
      fail("[compare] ", yaml_where(file, item), ": '", key, "': expected a positive learning rate, found ", item.Scalar());
    const LrCandidate candidate{item.Scalar(), value};
    for (const auto& other : out)
      if (tuning_run_name("", other) == tuning_run_name("", candidate))
        fail("[compare] ", yaml_where(file, item), ": '", key, "': ", other.text, " and ", candidate.text, " are one candidate (lr",
             g_format(value), ")");
    out.push_back(candidate);
  }
  return out;
}

std::optional<TuneSpec> read_tune(const YAML::Node& node, const std::string& file) {
  if (!node) return std::nullopt;
  if (!node.IsMap()) fail("[compare] ", yaml_where(file, node), ": 'tune' is a map: {lr: [...], validation: 0.1, seed: 0, set: {...}}");
  check_known_keys(file, node, {"lr", "validation", "seed", "set"}, "tune");
  if (!node["lr"]) fail("[compare] ", yaml_where(file, node), ": 'tune.lr' (the candidate learning rates) is required");
  TuneSpec spec;
  spec.lr = read_variant_tune(node["lr"], file, "tune.lr");
  if (const auto v = node["validation"]) {
    spec.validation = yaml_as<double>(file, v, "tune.validation", "a fraction in (0, 0.5]");
    if (!(spec.validation > 0 && spec.validation <= 0.5))
      fail("[compare] ", yaml_where(file, v), ": 'tune.validation': expected a fraction in (0, 0.5] of the training data, found ", v.Scalar());
    spec.validation_text = v.Scalar();
  }
  if (const auto s = node["seed"]) {
    const auto seed = yaml_as<int64_t>(file, s, "tune.seed", "an integer of 0 or more");
    if (seed < 0) fail("[compare] ", yaml_where(file, s), ": 'tune.seed': expected an integer of 0 or more, found ", seed);
    spec.seed = static_cast<uint64_t>(seed);
  }
  return spec;
}

std::string tuning_run_name(const std::string& variant, const LrCandidate& lr) { return variant + "-lr" + g_format(lr.value); }

namespace {

// The best finished candidate by choose_lr's order, leaving out `skip` (nullopt: none is left).
std::optional<std::size_t> best_candidate(const std::vector<TunedCandidate>& candidates, const std::string& metric,
                                          std::optional<std::size_t> skip = std::nullopt) {
  const bool lower = lower_is_better(metric);
  auto better = [&](const TunedCandidate& a, const TunedCandidate& b) {  // a strictly before b
    const double x = a.metrics.at(metric), y = b.metrics.at(metric);
    if (x != y) return lower ? x < y : x > y;
    if (a.metrics.count("loss") && b.metrics.count("loss") && a.metrics.at("loss") != b.metrics.at("loss"))
      return a.metrics.at("loss") < b.metrics.at("loss");
    return a.lr.value < b.lr.value;
  };
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].diverged_step == 0 && i != skip && (!best || better(candidates[i], candidates[*best]))) best = i;
  return best;
}

}  // namespace

std::size_t choose_lr(const std::vector<TunedCandidate>& candidates, const std::string& metric, const std::string& variant) {
  for (const auto& c : candidates)
    if (c.diverged_step == 0 && !c.metrics.count(metric))
      fail("[compare] variant '", variant, "': its tuning run ", c.run, " reports no ", metric, " on the validation split");
  const auto best = best_candidate(candidates, metric);
  if (!best)
    fail("[compare] variant '", variant, "': every tuning run diverged (the first, ", candidates.at(0).run, ", at step ",
         candidates.at(0).diverged_step, ": ", candidates.at(0).diverged_cause, "); give it lower learning rates to try");
  return *best;
}

std::optional<ChoiceMargin> choice_margin(const std::vector<TunedCandidate>& candidates, std::size_t chosen, const std::string& metric) {
  const auto next = best_candidate(candidates, metric, chosen);
  if (!next) return std::nullopt;
  const auto &a = candidates.at(chosen), &b = candidates[*next];
  if (a.item_scores.empty() || a.item_ids != b.item_ids || a.item_scores.size() != a.item_ids.size() ||
      b.item_scores.size() != b.item_ids.size())
    return std::nullopt;
  const double sign = lower_is_better(metric) ? -1.0 : 1.0;
  std::vector<double> differences(a.item_scores.size());
  for (std::size_t i = 0; i < differences.size(); ++i) differences[i] = sign * (a.item_scores[i] - b.item_scores[i]);
  return ChoiceMargin{b.lr.value, analysis::paired_bootstrap({differences})};
}

std::string tuning_json(const std::vector<VariantTuning>& variants, const TuneSpec& spec, const std::string& metric) {
  nlohmann::json out = {{"primary_metric", metric}, {"validation", spec.validation}, {"seed", spec.seed}, {"rule", kTuningRule},
                        {"variants", nlohmann::json::array()}};
  for (const auto& v : variants) {
    nlohmann::json candidates = nlohmann::json::array();
    for (const auto& c : v.candidates) {
      if (c.diverged_step > 0) {
        candidates.push_back({{"lr", c.lr.value}, {"run", c.run}, {"diverged", {{"step", c.diverged_step}, {"cause", c.diverged_cause}}}});
        continue;
      }
      candidates.push_back({{"lr", c.lr.value}, {"run", c.run}, {"metrics", c.metrics}});
      if (c.items > 0) candidates.back()["items"] = c.items;
    }
    out["variants"].push_back({{"variant", v.variant}, {"chosen_lr", v.candidates.at(v.chosen).lr.value}, {"candidates", candidates}});
    if (v.margin)
      out["variants"].back()["margin"] = {{"over_lr", v.margin->over_lr}, {"mean", v.margin->difference.mean},
                                          {"low", v.margin->difference.low}, {"high", v.margin->difference.high},
                                          {"items", v.margin->difference.items}};
  }
  return out.dump(1) + "\n";
}

}  // namespace vltune::training
