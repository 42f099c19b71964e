#include "training/compare.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "adapters/placement_rules.h"
#include "core/yaml_util.h"
#include "training/answer_scores.h"
#include "training/compare_records.h"
#include "training/compare_tune.h"
#include "training/append_file.h"
#include "training/recipe.h"
#include "training/run_setup.h"
#include "training/trainer.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {

struct Variant {
  std::string name, placement;
  std::vector<std::string> overrides;  // --set assignments
  std::vector<LrCandidate> lr;         // its own tune: {lr: [...]}; empty: the file's
};

std::string flow(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// `set: {key: value}` as --set assignments.
std::vector<std::string> assignments(const YAML::Node& set, const std::string& file) {
  std::vector<std::string> out;
  if (!set) return out;
  if (!set.IsMap()) fail("[compare] ", yaml_where(file, set), ": 'set' must be a map of recipe keys to values");
  for (const auto& item : set) out.push_back(item.first.Scalar() + "=" + flow(item.second));
  return out;
}

std::string placement_of(const YAML::Node& adapters, const std::string& file) {
  if (adapters.IsMap() && adapters["preset"]) return yaml_string(file, adapters["preset"], "adapters.preset");
  return "rules";
}

constexpr const char* kNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

std::vector<Variant> read_variants(const YAML::Node& root, const std::string& file) {
  std::vector<Variant> variants;
  if (const YAML::Node list = root["variants"]) {
    if (!list.IsSequence()) fail("[compare] ", yaml_where(file, list), ": 'variants' must be a list");
    for (const auto& item : list) {
      if (!item.IsMap()) fail("[compare] ", yaml_where(file, item), ": a variant is a map with name, adapters and/or set");
      check_known_keys(file, item, {"name", "adapters", "set", "tune"}, "a variant");
      if (!item["name"]) fail("[compare] ", yaml_where(file, item), ": every variant needs a 'name'");
      Variant v;
      v.name = yaml_string(file, item["name"], "name");
      v.placement = "recipe";
      if (item["adapters"]) {
        v.overrides.push_back("adapters=" + flow(item["adapters"]));
        v.placement = placement_of(item["adapters"], file);
      }
      const auto extra = assignments(item["set"], file);
      v.overrides.insert(v.overrides.end(), extra.begin(), extra.end());
      if (const YAML::Node tune = item["tune"]) {
        if (!tune.IsMap()) fail("[compare] ", yaml_where(file, tune), ": a variant's 'tune' is a map: {lr: [...]}");
        check_known_keys(file, tune, {"lr"}, "a variant's tune");
        if (!tune["lr"]) fail("[compare] ", yaml_where(file, tune), ": a variant's 'tune' needs 'lr', its candidate learning rates");
        v.lr = read_variant_tune(tune["lr"], file, "tune.lr");
      }
      variants.push_back(v);
    }
  }
  if (const YAML::Node grid = root["grid"]) {
    if (!grid.IsMap()) fail("[compare] ", yaml_where(file, grid), ": 'grid' is a map of method, preset, rank, alpha and rslora");
    check_known_keys(file, grid, {"method", "preset", "rank", "alpha", "rslora"}, "the grid");
    auto values = [&](const char* key, const std::string& fallback) {
      std::vector<std::string> out;
      const YAML::Node node = grid[key];
      if (!node) return std::vector<std::string>{fallback};
      const std::string name = cat("grid.", key);
      if (node.IsSequence())
        for (const auto& v : node) out.push_back(yaml_string(file, v, name));
      else
        out.push_back(yaml_string(file, node, name));
      return out;
    };
    std::vector<int64_t> ranks;
    for (const auto& rank : values("rank", "8")) {
      ranks.push_back(std::strtoll(rank.c_str(), nullptr, 10));
      if (rank.find_first_not_of("0123456789") != std::string::npos || rank.size() > 9 || ranks.back() < 1)
        fail("[compare] ", yaml_where(file, grid["rank"]), ": 'grid.rank': expected positive integers, found '", rank, "'");
    }
    const bool fixed_alpha = grid["alpha"].IsDefined();
    const double alpha = fixed_alpha ? yaml_as<double>(file, grid["alpha"], "grid.alpha", "a number") : 0.0;
    const bool rslora = grid["rslora"].IsDefined() && yaml_as<bool>(file, grid["rslora"], "grid.rslora", "true or false");
    for (const auto& method : values("method", "dora"))
      for (const auto& preset : values("preset", "attention_only"))
        for (const int64_t rank : ranks) {
          YAML::Node adapters;
          adapters["preset"] = preset;
          adapters["method"] = method;
          adapters["rank"] = rank;
          adapters["alpha"] = fixed_alpha ? alpha : 2.0 * static_cast<double>(rank);
          if (rslora) adapters["rslora"] = true;
          variants.push_back({cat(method, "-", preset, "-r", rank), preset, {"adapters=" + flow(adapters)}, {}});
        }
  }
  if (variants.empty()) fail("[compare] ", file, ": no variants (give 'variants:' or 'grid:')");
  // A name becomes a folder under OUT/runs that a rerun may remove: it must stay one plain name.
  for (const auto& v : variants)
    if (v.name.empty() || v.name[0] == '.' || v.name.find_first_not_of(kNameCharacters) != std::string::npos)
      fail("[compare] ", file, ": variant name '", v.name, "' must be letters, digits, '-', '_' or '.' (not first): it names a run folder");
  for (std::size_t i = 0; i < variants.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (variants[i].name == variants[j].name) fail("[compare] ", file, ": two variants are named '", variants[i].name, "'");
  return variants;
}

// Keys that decide the backbone: every variant must agree on them, since it is loaded once.
void check_same_backbone(const Recipe& first, const Recipe& other, const std::string& variant) {
  for (const char* key : {"model.path", "model.tokenizer", "model.dtype", "model.device", "model.init", "train.precision"}) {
    const auto a = first.has(key) ? first.str(key) : "", b = other.has(key) ? other.str(key) : "";
    if ((std::string(key) == "model.path" ? first.file_path(key) != other.file_path(key) : a != b))
      fail("[compare] variant '", variant, "' changes ", key, " (", other.where(key),
           "); variants share one loaded backbone, so only adapters, data and training keys may differ");
  }
}

// The metrics a run of `recipe` reports: train_loss, and eval.metrics (default: loss) when it has
// evaluation data.
std::vector<std::string> reported_metrics(const Recipe& recipe) {
  std::vector<std::string> names = {"train_loss"};
  if (!recipe.has("data.eval") && !(recipe.number("data.validation") > 0)) return names;
  const YAML::Node metrics = recipe.find("eval.metrics");
  if (!metrics.IsDefined() || !metrics.IsSequence()) return {"train_loss", "loss"};
  for (const auto& m : metrics)
    if (m.IsScalar()) names.push_back(m.Scalar());
  return names;
}

// The primary metric must be one that every variant reports, checked before anything trains.
void check_metric_reported(const std::string& metric, const std::vector<std::vector<Recipe>>& recipes,
                           const std::vector<Variant>& variants, const std::string& where) {
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const auto names = reported_metrics(recipes[v].front());
    if (std::find(names.begin(), names.end(), metric) != names.end()) continue;
    std::string listed;
    for (const auto& name : names) listed += (listed.empty() ? "" : ", ") + name;
    fail("[compare] ", where, ": metric '", metric, "' is not reported by variant '", variants[v].name, "' (its runs report: ", listed,
         "); name one of those, or add it to eval.metrics with an eval dataset");
  }
}

// `seeds:` of the compare file (default [0]).
std::vector<uint64_t> read_seeds(const YAML::Node& root, const std::string& file) {
  const YAML::Node s = root["seeds"];
  if (!s) return {0};
  if (!s.IsSequence()) fail("[compare] ", yaml_where(file, s), ": 'seeds' must be a list of integers");
  std::vector<uint64_t> seeds;
  for (const auto& seed : s) {
    const auto value = yaml_as<int64_t>(file, seed, "seeds", "an integer of 0 or more");
    if (value < 0) fail("[compare] ", yaml_where(file, seed), ": 'seeds': expected an integer of 0 or more, found ", value);
    seeds.push_back(static_cast<uint64_t>(value));
  }
  if (seeds.empty()) fail("[compare] ", yaml_where(file, s), ": 'seeds' is empty");
  return seeds;
}

// A compare file read and every run's recipe loaded and checked, before anything trains.
struct ComparePlan {
  std::string file, title, metric, out_dir, base;
  std::vector<std::string> common;  // the file's set, then the command line's
  std::vector<uint64_t> seeds;
  std::vector<Variant> variants;
  std::vector<std::vector<Recipe>> recipes;  // [variant][seed]; with tune:, reloaded with each chosen lr
  std::optional<TuneSpec> tune;
  std::vector<std::string> tune_overrides;        // tune's set
  std::vector<std::vector<Recipe>> tune_recipes;  // [variant][candidate]
  const std::vector<LrCandidate>& candidates(std::size_t v) const { return variants[v].lr.empty() ? tune->lr : variants[v].lr; }
};

// A variant's recipe: the base recipe with the file's set, the command line's --sets, the variant's
// own and then `last`; on the backbone of `first` when given.
Recipe variant_recipe(const ComparePlan& plan, const Variant& variant, const std::vector<std::string>& last, const Recipe* first) {
  auto overrides = plan.common;
  overrides.insert(overrides.end(), variant.overrides.begin(), variant.overrides.end());
  overrides.insert(overrides.end(), last.begin(), last.end());
  auto recipe = Recipe::load(plan.base, overrides);
  if (first) check_same_backbone(*first, recipe, variant.name);
  return recipe;
}

// Each variant's recipe per seed, with train.lr = chosen_lr[v] when given (a tuned comparison).
std::vector<std::vector<Recipe>> variant_recipes(const ComparePlan& plan, const std::vector<std::string>& chosen_lr = {}) {
  std::vector<std::vector<Recipe>> recipes;
  for (std::size_t v = 0; v < plan.variants.size(); ++v) {
    recipes.emplace_back();
    for (const auto seed : plan.seeds) {
      std::vector<std::string> last;
      if (!chosen_lr.empty()) last.push_back("train.lr=" + chosen_lr[v]);
      last.push_back(cat("train.seed=", seed));
      recipes.back().push_back(variant_recipe(plan, plan.variants[v], last, recipes.front().empty() ? nullptr : &recipes.front().front()));
    }
  }
  return recipes;
}

// The tuning runs' recipes: per variant and candidate, tune's set, its seed, data.validation and the lr.
std::vector<std::vector<Recipe>> tuning_recipes(const ComparePlan& plan) {
  std::vector<std::vector<Recipe>> recipes;
  for (std::size_t v = 0; v < plan.variants.size(); ++v) {
    recipes.emplace_back();
    for (const auto& lr : plan.candidates(v)) {
      auto last = plan.tune_overrides;
      last.insert(last.end(), {cat("train.seed=", plan.tune->seed), "data.validation=" + plan.tune->validation_text, "train.lr=" + lr.text});
      recipes.back().push_back(variant_recipe(plan, plan.variants[v], last, &plan.recipes.front().front()));
    }
  }
  return recipes;
}

// tune: and the variants' own tune: {lr}, with their recipes.
void read_tuning(ComparePlan& plan, const YAML::Node& root) {
  plan.tune = read_tune(root["tune"], plan.file);
  for (const auto& v : plan.variants)
    if (!v.lr.empty() && !plan.tune)
      fail("[compare] ", plan.file, ": variant '", v.name, "' has its own tune: {lr}, but the file has no 'tune:' block (validation, seed)");
  if (!plan.tune) return;
  plan.tune_overrides = assignments(root["tune"]["set"], plan.file);
  plan.tune_recipes = tuning_recipes(plan);
}

ComparePlan read_compare(const std::string& file, const CompareOptions& options) {
  const YAML::Node root = load_yaml_file(file);
  if (!root.IsMap()) fail("[compare] ", file, ": expected a map with recipe, variants and/or grid");
  check_known_keys(file, root, {"recipe", "title", "metric", "seeds", "set", "variants", "grid", "output", "tune"}, "a compare file");
  if (!root["recipe"]) fail("[compare] ", file, ": 'recipe' (the base recipe) is required");
  const auto folder = fs::path(file).parent_path();
  ComparePlan plan;
  plan.file = file;
  plan.base = (folder / yaml_string(file, root["recipe"], "recipe")).lexically_normal().string();
  if (!fs::exists(plan.base)) fail("[compare] ", yaml_where(file, root["recipe"]), ": the recipe ", plan.base, " does not exist");
  plan.seeds = read_seeds(root, file);
  plan.common = assignments(root["set"], file);
  plan.common.insert(plan.common.end(), options.overrides.begin(), options.overrides.end());
  plan.variants = read_variants(root, file);
  plan.out_dir = !options.out_dir.empty() ? options.out_dir
                 : root["output"]       ? (folder / yaml_string(file, root["output"], "output")).lexically_normal().string()
                                        : (fs::path("runs") / ("compare-" + fs::path(file).stem().string())).string();
  plan.title = root["title"] ? yaml_string(file, root["title"], "title") : fs::path(file).stem().string();
  plan.recipes = variant_recipes(plan);
  read_tuning(plan, root);
  if (options.tune_only && !plan.tune) fail("[compare] ", file, ": --tune-only, but the file has no 'tune:' block");
  plan.metric = root["metric"] ? yaml_string(file, root["metric"], "metric") : "";
  if (plan.metric.empty()) {  // the first eval metric of the recipe
    const YAML::Node metrics = plan.recipes.front().front().find("eval.metrics");
    plan.metric = metrics.IsDefined() && metrics.IsSequence() && metrics.size() > 0 ? metrics[0].Scalar() : "loss";
  }
  check_metric_reported(plan.metric, plan.recipes, plan.variants, root["metric"] ? yaml_where(file, root["metric"]) : file);
  if (plan.tune) check_metric_reported(plan.metric, plan.tune_recipes, plan.variants, cat(yaml_where(file, root["tune"]), ": tune"));
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count)
    fail("[compare] shard ", options.shard_index + 1, " of ", options.shard_count, ": expected K/N with 1 <= K <= N");
  return plan;
}

// A trained run as the report takes it, logged in one line that opens with `label`.
analysis::VariantRun variant_run(const RunResult& run, const Variant& variant, uint64_t seed, double lr, const std::string& label) {
  analysis::VariantRun out;
  out.variant = variant.name;
  out.method = run.methods;
  out.placement = variant.placement;
  out.rank = run.rank;
  out.seed = seed;
  out.lr = lr;
  out.trainable_params = run.trainable_params;
  out.trainable_percent = 100.0 * static_cast<double>(run.trainable_params) / static_cast<double>(run.model_params);
  out.peak_memory_mib = run.peak_memory_mib;
  out.step_time_ms = run.step_time_ms;
  out.tokens_per_s = run.tokens_per_s;
  out.metrics = run.metrics;
  out.loss_curve = run.loss_curve;
  out.run_dir = run.run_dir;
  const auto answers = fs::path(run.run_dir) / "eval" / cat("step-", run.steps, ".jsonl");  // the final evaluation's
  if (fs::exists(answers)) {
    std::vector<std::string> names;
    for (const auto& [name, value] : run.metrics) names.push_back(name);
    auto items = score_answer_file(answers.string(), names);
    out.item_ids = std::move(items.ids);
    out.item_scores = std::move(items.scores);
  }
  std::string line = cat(label, ": ", run.steps, " steps, ", static_cast<int64_t>(run.step_time_ms), " ms/step");
  for (const auto& [name, value] : run.metrics) line += cat(", ", name, " ", value);
  log_info(line);
  return out;
}

// Trains the runs of one process, on one backbone loaded when the first of them trains.
class Runner {
 public:
  Runner(const ComparePlan& plan, const CompareOptions& options) : plan_(plan), options_(options) {}
  // The run in `run_dir`: what it left when it ran before with this recipe (unless --fresh and this
  // process may train it), else trained now when `may_train`, else nullopt. Only a tuning run
  // (`may_diverge`) may end diverged; any other rethrows TrainingDiverged.
  std::optional<RunOutcome> run(const std::string& run_dir, const Recipe& recipe, const Variant& variant, uint64_t seed, bool may_train,
                                const std::string& label, bool may_diverge = false) {
    const double lr = recipe.number("train.lr");
    if (!(options_.fresh && may_train))
      if (auto recorded = recorded_outcome(run_dir, recipe, may_train, may_diverge)) {
        if (!recorded->run) {
          log_info(cat(label, ": diverged before at step ", recorded->diverged_step, ", reused (", run_dir, ")"));
          return recorded;
        }
        log_info(cat(label, ": finished before, reused (", run_dir, ")"));
        if (recorded->run->lr == 0) recorded->run->lr = lr;  // a record from before runs kept their lr
        return recorded;
      }
    if (!may_train) return std::nullopt;
    // The backbone loads first: one that cannot load (a missing model, no such device) leaves the folder as it was.
    if (!backbone_) backbone_ = std::make_unique<Backbone>(load_backbone(plan_.recipes.front().front()));
    const auto set_aside = clear_for_new_run(run_dir);
    TrainRequest request;
    request.run_dir = run_dir;
    request.quiet = options_.quiet;
    RunOutcome outcome;
    try {
      const auto trained = train(*backbone_, recipe, request);
      outcome.run = variant_run(trained, variant, seed, lr, label);
      write_finished_record(run_dir, *outcome.run);
    } catch (const TrainingDiverged& diverged) {
      if (!may_diverge) throw;
      log_info(cat(label, ": diverged at step ", diverged.step, " (", diverged.cause, "); a candidate tuning never chooses"));
      outcome.diverged_step = diverged.step;
      outcome.diverged_cause = diverged.cause;
      write_diverged_record(run_dir, diverged.step, diverged.cause);
    }
    ++trained_;
    // The new run has finished: the one it replaces may go. A diverged run replaces no finished one.
    if (set_aside && outcome.run) fs::remove_all(*set_aside);
    return outcome;
  }
  int64_t trained() const { return trained_; }

 private:
  const ComparePlan& plan_;
  const CompareOptions& options_;
  std::unique_ptr<Backbone> backbone_;
  int64_t trained_ = 0;
};

bool sharded(const CompareOptions& options) { return options.shard_count > 1; }

// A tuning run's outcome as the tuning reads it: a finished run's validation metrics and its
// primary metric's item scores (for choice_margin), or where the run diverged.
TunedCandidate tuned_candidate(const LrCandidate& lr, const std::string& run, const RunOutcome& outcome, const std::string& metric) {
  TunedCandidate candidate;
  candidate.lr = lr;
  candidate.run = run;
  if (!outcome.run) {
    candidate.diverged_step = outcome.diverged_step;
    candidate.diverged_cause = outcome.diverged_cause;
    return candidate;
  }
  candidate.metrics = outcome.run->metrics;
  candidate.items = static_cast<int64_t>(outcome.run->item_ids.size());
  candidate.item_ids = outcome.run->item_ids;
  const auto scores = outcome.run->item_scores.find(metric);
  if (scores != outcome.run->item_scores.end()) candidate.item_scores = scores->second;
  return candidate;
}

// The tuning runs (OUT/tune/VARIANT-lrX), trained where this process may (all of them unsharded,
// its shard's with --tune-only, none in a sharded seed phase) or reused; each variant's tuning, or
// nullopt while one is unfinished (`unfinished` names the first such run).
std::optional<std::vector<VariantTuning>> tune_variants(const ComparePlan& plan, const CompareOptions& options, Runner& runner,
                                                        std::string& unfinished) {
  std::vector<VariantTuning> tuning;
  int64_t index = -1;
  for (std::size_t v = 0; v < plan.variants.size(); ++v) {
    tuning.push_back({plan.variants[v].name, {}, 0, std::nullopt});
    for (std::size_t c = 0; c < plan.candidates(v).size(); ++c) {
      const auto& lr = plan.candidates(v)[c];
      const auto name = tuning_run_name(plan.variants[v].name, lr);
      const bool mine = !sharded(options) || (options.tune_only && ++index % options.shard_count == options.shard_index);
      const auto outcome = runner.run((fs::path(plan.out_dir) / "tune" / name).string(), plan.tune_recipes[v][c], plan.variants[v],
                                      plan.tune->seed, mine, cat(plan.variants[v].name, " lr ", lr.text, " (tuning)"), /*may_diverge=*/true);
      if (outcome) tuning.back().candidates.push_back(tuned_candidate(lr, "tune/" + name, *outcome, plan.metric));
      else if (unfinished.empty()) unfinished = (fs::path(plan.out_dir) / "tune" / name).string();
    }
  }
  if (!unfinished.empty()) return std::nullopt;
  for (auto& t : tuning) {
    t.chosen = choose_lr(t.candidates, plan.metric, t.variant);
    t.margin = choice_margin(t.candidates, t.chosen, plan.metric);
    log_info(cat("tuned: ", t.variant, " lr ", t.candidates[t.chosen].lr.text, " (", plan.metric, " ",
                 t.candidates[t.chosen].metrics.at(plan.metric), " on the validation split)"));
  }
  write_file_atomically((fs::path(plan.out_dir) / "tuning.json").string(), tuning_json(tuning, *plan.tune, plan.metric));
  return tuning;
}

// The tuning phase of a tuned comparison: true when the seed runs may follow (plan.recipes then
// carry each variant's chosen lr), false when this process ends here (--tune-only).
bool run_tuning(ComparePlan& plan, const CompareOptions& options, Runner& runner) {
  std::string unfinished;
  const auto tuning = tune_variants(plan, options, runner, unfinished);
  if (!tuning && !options.tune_only)
    fail("[compare] ", plan.file, ": the tuning is not finished (", unfinished, " has no finished run); a sharded run trains only ",
         "seed runs, which need each variant's chosen lr: run the tuning first (vltune compare ", plan.file,
         " --tune-only, or split it with --tune-only --shard K/N), then the shards");
  if (options.tune_only) {
    log_info(cat("compare: tuning", sharded(options) ? cat(" shard ", options.shard_index + 1, " of ", options.shard_count) : "", " trained ",
                 runner.trained(), " runs; ", tuning ? "every tuning run is finished (" + plan.out_dir + "/tuning.json)"
                                                     : "some are unfinished: run the other shards"));
    return false;
  }
  std::vector<std::string> chosen;
  for (const auto& t : *tuning) chosen.push_back(t.candidates[t.chosen].lr.text);
  plan.recipes = variant_recipes(plan, chosen);
  return true;
}

}  // namespace

CompareResult run_compare(const std::string& compare_yaml, const CompareOptions& options) {
  auto plan = read_compare(compare_yaml, options);
  const auto& first = plan.recipes.front().front();
  for (std::size_t v = 0; v < plan.variants.size(); ++v)  // one backbone serves every run: none may change it
    if (adapters::parse_placement(plan.recipes[v].front().find("adapters"), plan.recipes[v].front().origin_file("adapters")).train_embeddings)
      fail("[compare] ", compare_yaml, ": variant '", plan.variants[v].name, "' says embeddings: train, which changes the backbone the "
           "variants share; train it with vltune train");
  CompareResult result;
  result.out_dir = plan.out_dir;
  log_info(cat("compare: ", plan.variants.size(), " variants x ", plan.seeds.size(), " seeds on one backbone (",
               first.file_path("model.path"), ")", sharded(options) ? cat(", shard ", options.shard_index + 1, " of ", options.shard_count) : ""));
  Runner runner(plan, options);
  if (plan.tune && !run_tuning(plan, options, runner)) return result;
  int64_t index = -1;
  for (std::size_t v = 0; v < plan.variants.size(); ++v)
    for (std::size_t s = 0; s < plan.seeds.size(); ++s) {
      const bool mine = !sharded(options) || ++index % options.shard_count == options.shard_index;
      const auto& variant = plan.variants[v];
      const auto run_dir = (fs::path(result.out_dir) / "runs" / cat(variant.name, "-seed", plan.seeds[s])).string();
      if (auto outcome = runner.run(run_dir, plan.recipes[v][s], variant, plan.seeds[s], mine, cat(variant.name, " seed ", plan.seeds[s])))
        result.runs.push_back(std::move(*outcome->run));
    }
  if (sharded(options)) {
    log_info(cat("compare: shard ", options.shard_index + 1, " of ", options.shard_count, " trained ", runner.trained(), " runs; ",
                 result.runs.size(), " of ", plan.variants.size() * plan.seeds.size(), " are finished. Run it again without --shard, once ",
                 "every shard has ended, to write the report"));
    return result;
  }
  analysis::write_compare_report(result.out_dir, result.runs, plan.title, plan.metric);
  result.table = analysis::compare_table(analysis::summarize_variants(result.runs), plan.metric);
  return result;
}

}  // namespace vltune::training
