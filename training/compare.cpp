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
      check_known_keys(file, item, {"name", "adapters", "set"}, "a variant");
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
          variants.push_back({cat(method, "-", preset, "-r", rank), preset, {"adapters=" + flow(adapters)}});
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

constexpr const char* kFinishedRun = "compare_run.json";

// The record of a run that finished with this very recipe, or nullopt (none, or another recipe).
std::optional<analysis::VariantRun> finished_run(const std::string& run_dir, const Recipe& recipe) {
  const auto record = fs::path(run_dir) / kFinishedRun, recipe_file = fs::path(run_dir) / "recipe.yaml";
  if (!fs::exists(record) || !fs::exists(recipe_file)) return std::nullopt;
  if (read_file_bytes(recipe_file.string()) != recipe.resolved_yaml(run_dir)) {
    log_info(cat(run_dir, ": finished with another recipe; it trains again"));
    return std::nullopt;
  }
  return analysis::variant_run_from_json(read_file_bytes(record.string()), record.string());
}

// The metrics a run of `recipe` reports: train_loss, and eval.metrics (default: loss) when it has
// evaluation data.
std::vector<std::string> reported_metrics(const Recipe& recipe) {
  std::vector<std::string> names = {"train_loss"};
  if (!recipe.has("data.eval")) return names;
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
  std::string title, metric, out_dir;
  std::vector<uint64_t> seeds;
  std::vector<Variant> variants;
  std::vector<std::vector<Recipe>> recipes;  // [variant][seed]
};

// Each variant's recipe per seed: the base recipe with the file's set, the command line's --sets,
// the variant's own and the seed; all on one backbone.
std::vector<std::vector<Recipe>> variant_recipes(const std::string& base, const std::vector<std::string>& common,
                                                 const std::vector<Variant>& variants, const std::vector<uint64_t>& seeds) {
  std::vector<std::vector<Recipe>> recipes;
  for (const auto& variant : variants) {
    recipes.emplace_back();
    for (const auto seed : seeds) {
      auto overrides = common;
      overrides.insert(overrides.end(), variant.overrides.begin(), variant.overrides.end());
      overrides.push_back(cat("train.seed=", seed));
      recipes.back().push_back(Recipe::load(base, overrides));
      check_same_backbone(recipes.front().front(), recipes.back().back(), variant.name);
    }
  }
  return recipes;
}

ComparePlan read_compare(const std::string& file, const CompareOptions& options) {
  const YAML::Node root = load_yaml_file(file);
  if (!root.IsMap()) fail("[compare] ", file, ": expected a map with recipe, variants and/or grid");
  check_known_keys(file, root, {"recipe", "title", "metric", "seeds", "set", "variants", "grid", "output"}, "a compare file");
  if (!root["recipe"]) fail("[compare] ", file, ": 'recipe' (the base recipe) is required");
  const auto folder = fs::path(file).parent_path();
  const auto base = (folder / yaml_string(file, root["recipe"], "recipe")).lexically_normal().string();
  if (!fs::exists(base)) fail("[compare] ", yaml_where(file, root["recipe"]), ": the recipe ", base, " does not exist");
  ComparePlan plan;
  plan.seeds = read_seeds(root, file);
  auto common = assignments(root["set"], file);
  common.insert(common.end(), options.overrides.begin(), options.overrides.end());
  plan.variants = read_variants(root, file);
  plan.out_dir = !options.out_dir.empty() ? options.out_dir
                 : root["output"]       ? (folder / yaml_string(file, root["output"], "output")).lexically_normal().string()
                                        : (fs::path("runs") / ("compare-" + fs::path(file).stem().string())).string();
  plan.title = root["title"] ? yaml_string(file, root["title"], "title") : fs::path(file).stem().string();
  plan.recipes = variant_recipes(base, common, plan.variants, plan.seeds);
  plan.metric = root["metric"] ? yaml_string(file, root["metric"], "metric") : "";
  if (plan.metric.empty()) {  // the first eval metric of the recipe
    const YAML::Node metrics = plan.recipes.front().front().find("eval.metrics");
    plan.metric = metrics.IsDefined() && metrics.IsSequence() && metrics.size() > 0 ? metrics[0].Scalar() : "loss";
  }
  check_metric_reported(plan.metric, plan.recipes, plan.variants, root["metric"] ? yaml_where(file, root["metric"]) : file);
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count)
    fail("[compare] shard ", options.shard_index + 1, " of ", options.shard_count, ": expected K/N with 1 <= K <= N");
  return plan;
}

// A trained run as the report takes it, logged in one line.
analysis::VariantRun variant_run(const RunResult& run, const Variant& variant, uint64_t seed) {
  analysis::VariantRun out;
  out.variant = variant.name;
  out.method = run.methods;
  out.placement = variant.placement;
  out.rank = run.rank;
  out.seed = seed;
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
  std::string line = cat(out.variant, " seed ", out.seed, ": ", run.steps, " steps, ", static_cast<int64_t>(run.step_time_ms), " ms/step");
  for (const auto& [name, value] : run.metrics) line += cat(", ", name, " ", value);
  log_info(line);
  return out;
}

}  // namespace

CompareResult run_compare(const std::string& compare_yaml, const CompareOptions& options) {
  const auto plan = read_compare(compare_yaml, options);
  const auto& first = plan.recipes.front().front();
  for (std::size_t v = 0; v < plan.variants.size(); ++v)  // one backbone serves every run: none may change it
    if (adapters::parse_placement(plan.recipes[v].front().find("adapters"), plan.recipes[v].front().origin_file("adapters")).train_embeddings)
      fail("[compare] ", compare_yaml, ": variant '", plan.variants[v].name, "' says embeddings: train, which changes the backbone the "
           "variants share; train it with vltune train");
  const bool sharded = options.shard_count > 1;
  CompareResult result;
  result.out_dir = plan.out_dir;
  std::unique_ptr<Backbone> backbone;  // loaded once, when the first run has to train
  log_info(cat("compare: ", plan.variants.size(), " variants x ", plan.seeds.size(), " seeds on one backbone (",
               first.file_path("model.path"), ")", sharded ? cat(", shard ", options.shard_index + 1, " of ", options.shard_count) : ""));
  int64_t index = -1, trained = 0;
  for (std::size_t v = 0; v < plan.variants.size(); ++v)
    for (std::size_t s = 0; s < plan.seeds.size(); ++s) {
      ++index;
      const auto& variant = plan.variants[v];
      TrainRequest request;
      request.run_dir = (fs::path(result.out_dir) / "runs" / cat(variant.name, "-seed", plan.seeds[s])).string();
      request.quiet = options.quiet;
      if (!options.fresh)
        if (auto finished = finished_run(request.run_dir, plan.recipes[v][s])) {
          log_info(cat(variant.name, " seed ", plan.seeds[s], ": finished before, reused (", request.run_dir, ")"));
          result.runs.push_back(std::move(*finished));
          continue;
        }
      if (sharded && index % options.shard_count != options.shard_index) continue;
      if (fs::exists(request.run_dir)) fs::remove_all(request.run_dir);  // unfinished or changed: start afresh
      if (!backbone) backbone = std::make_unique<Backbone>(load_backbone(first));
      const auto run = train(*backbone, plan.recipes[v][s], request);
      ++trained;
      auto out = variant_run(run, variant, plan.seeds[s]);
      write_file_atomically((fs::path(run.run_dir) / kFinishedRun).string(), analysis::variant_run_json(out));
      result.runs.push_back(std::move(out));
    }
  if (sharded) {
    log_info(cat("compare: shard ", options.shard_index + 1, " of ", options.shard_count, " trained ", trained,
                 " runs; ", result.runs.size(), " of ", index + 1, " are finished. Run it again without --shard, once every "
                 "shard has ended, to write the report"));
    return result;
  }
  analysis::write_compare_report(result.out_dir, result.runs, plan.title, plan.metric);
  result.table = analysis::compare_table(analysis::summarize_variants(result.runs), plan.metric);
  return result;
}

}  // namespace vltune::training
