#include "analysis/study_results.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/csv.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"

namespace fs = std::filesystem;

namespace vltune::analysis {

namespace {

std::string read_text(const fs::path& path) { return read_file_limited(path.string(), kMaxDataFileBytes, "[report]"); }

nlohmann::json parse_json(const fs::path& path) {
  auto json = nlohmann::json::parse(read_text(path), nullptr, false);
  if (json.is_discarded() || !json.is_object()) fail("[report] ", path.string(), ": not a JSON object");
  return json;
}

std::string string_key(const nlohmann::json& json, const char* key, const fs::path& path) {
  if (!json.contains(key) || !json[key].is_string()) fail("[report] ", path.string(), ": expected a string '", key, "'");
  return json[key].get<std::string>();
}

// Every item score list has one score per item.
void check_items(const VariantRun& run, std::size_t items, const std::string& where) {
  for (const auto& [metric, scores] : run.item_scores)
    if (scores.size() != items)
      fail("[report] ", where, ": run ", run.variant, " seed ", run.seed, " has ", scores.size(), " ", metric, " item scores for ",
           items, " items; expected one per item");
}

// One candidate of tuning.json: finished (its metrics) or diverged (the step
// and the cause, no metrics). Throws on a negative count or step.
StudyTuning::Candidate tuning_candidate(const nlohmann::json& c, const std::string& path, const std::string& variant) {
  StudyTuning::Candidate out;
  out.lr = c.at("lr").get<double>();
  if (c.contains("diverged")) {
    out.diverged_step = c.at("diverged").at("step").get<int64_t>();
    out.diverged_cause = c.at("diverged").at("cause").get<std::string>();
    if (out.diverged_step < 1)
      fail("[report] ", path, ": variant ", variant, ": a candidate diverged at step ", out.diverged_step, "; expected a step >= 1");
    return out;
  }
  out.metrics = c.at("metrics").get<std::map<std::string, double>>();
  // "items" (validation items scored) is only checked: the margin carries the count the doc shows.
  const int64_t items = c.contains("items") ? c.at("items").get<int64_t>() : 0;
  if (items < 0) fail("[report] ", path, ": variant ", variant, ": a candidate's 'items' is ", items, "; expected a count >= 0");
  return out;
}

// A variant's "margin": finite, an interval in order, over at least one item.
StudyTuning::Margin tuning_margin(const nlohmann::json& m, const std::string& path, const std::string& variant) {
  StudyTuning::Margin out{m.at("over_lr").get<double>(), m.at("mean").get<double>(), m.at("low").get<double>(),
                          m.at("high").get<double>(), m.at("items").get<int64_t>()};
  if (out.items < 1 || !(out.low <= out.high) || !std::isfinite(out.mean) || !std::isfinite(out.low) || !std::isfinite(out.high))
    fail("[report] ", path, ": variant ", variant, ": margin ", out.mean, " [", out.low, ", ", out.high, "] over ", out.items,
         " items; expected finite numbers, low <= high and at least one item");
  return out;
}

}  // namespace

Study load_study(const std::string& study_dir) {
  const auto path = fs::path(study_dir) / "results.json";
  if (!fs::exists(path)) fail("[report] ", path.string(), ": no such file; expected a study folder written by vltune results collect");
  const auto json = parse_json(path);
  Study study;
  study.name = fs::path(study_dir).lexically_normal().filename().string();
  if (study.name.empty()) study.name = fs::path(study_dir).lexically_normal().parent_path().filename().string();
  study.title = string_key(json, "title", path);
  study.primary_metric = string_key(json, "primary_metric", path);
  if (!json.contains("runs") || !json["runs"].is_array() || json["runs"].empty())
    fail("[report] ", path.string(), ": expected 'runs', a non-empty list");
  try {
    study.item_ids = json.value("item_ids", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    fail("[report] ", path.string(), ": item_ids is not a list of strings (", e.what(), ")");
  }
  for (const auto& run : json["runs"]) study.runs.push_back(variant_run_from_json(run.dump(), path.string()));
  for (auto& run : study.runs) {
    check_items(run, study.item_ids.size(), path.string());
    run.item_ids = study.item_ids;
  }
  return study;
}

std::optional<std::map<std::string, double>> load_reference(const std::string& study_dir, const std::string& name) {
  const auto path = fs::path(study_dir) / (name + ".json");
  if (!fs::exists(path)) return std::nullopt;
  const auto json = parse_json(path);
  std::map<std::string, double> metrics;
  if (json.contains("metrics")) {
    if (!json["metrics"].is_object()) fail("[report] ", path.string(), ": expected 'metrics', a map of metric names to numbers");
    for (const auto& [metric, value] : json["metrics"].items()) {
      if (!value.is_number() || !std::isfinite(value.get<double>()))
        fail("[report] ", path.string(), ": metrics.", metric, " must be a finite number");
      metrics[metric] = value.get<double>();
    }
  } else {  // what `vltune eval` or `vltune data prior --json` prints: the metrics at the top
    static const std::set<std::string> kCounts = {"bad_samples", "correct", "test_items", "unseen"};
    for (const auto& [key, value] : json.items())
      if (value.is_number() && !kCounts.count(key)) metrics[key] = value.get<double>();
  }
  if (metrics.empty()) fail("[report] ", path.string(), ": no metric; expected {\"metrics\": {\"exact_match\": ...}} or the output of vltune eval");
  return metrics;
}

std::optional<StudyTuning> load_tuning(const std::string& study_dir) {
  const auto path = fs::path(study_dir) / "tuning.json";
  if (!fs::exists(path)) return std::nullopt;
  const auto json = parse_json(path);
  StudyTuning tuning;
  try {
    tuning.primary_metric = json.at("primary_metric").get<std::string>();
    tuning.rule = json.at("rule").get<std::string>();
    tuning.validation = json.at("validation").get<double>();
    tuning.seed = json.at("seed").get<uint64_t>();
    for (const auto& v : json.at("variants")) {
      StudyTuning::Variant variant{v.at("variant").get<std::string>(), v.at("chosen_lr").get<double>(), {}, std::nullopt};
      if (v.contains("margin")) variant.margin = tuning_margin(v.at("margin"), path.string(), variant.variant);
      for (const auto& c : v.at("candidates")) variant.candidates.push_back(tuning_candidate(c, path.string(), variant.variant));
      if (variant.candidates.empty()) fail("[report] ", path.string(), ": variant ", variant.variant, " has no candidates");
      if (std::none_of(variant.candidates.begin(), variant.candidates.end(),
                       [&](const auto& c) { return c.lr == variant.chosen_lr && c.diverged_step == 0; }))
        fail("[report] ", path.string(), ": variant ", variant.variant, ": chosen_lr ", variant.chosen_lr,
             " is not one of its candidates that finished");
      tuning.variants.push_back(std::move(variant));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("[report] ", path.string(), ": not a tuning record of vltune compare (", e.what(), ")");
  }
  return tuning;
}

void collect_study(const std::string& compare_dir, const std::string& out_dir) {
  const auto source = fs::path(compare_dir) / "results.json";
  if (!fs::exists(source)) fail("[report] ", source.string(), ": no such file; expected the folder `vltune compare` wrote");
  const auto json = parse_json(source);
  if (!json.contains("runs") || !json["runs"].is_array() || json["runs"].empty())
    fail("[report] ", source.string(), ": expected 'runs', a non-empty list");
  std::vector<VariantRun> runs;
  for (const auto& run : json["runs"]) runs.push_back(variant_run_from_json(run.dump(), source.string()));
  const auto item_ids = runs.front().item_ids;
  for (auto& run : runs) {
    if (run.item_ids != item_ids)
      fail("[report] ", source.string(), ": run ", run.variant, " seed ", run.seed, " was scored on other items than run ",
           runs.front().variant, " seed ", runs.front().seed, "; expected every run on the same eval items");
    check_items(run, item_ids.size(), source.string());
    run.item_ids.clear();
    run.loss_curve.clear();
    run.run_dir = fs::path(run.run_dir).filename().string();
  }
  fs::create_directories(out_dir);
  std::string text = cat("{\"title\": ", nlohmann::json(string_key(json, "title", source)).dump(), ",\n\"primary_metric\": ",
                         nlohmann::json(string_key(json, "primary_metric", source)).dump(), ",\n\"item_ids\": ",
                         nlohmann::json(item_ids).dump(), ",\n\"runs\": [\n");
  for (std::size_t i = 0; i < runs.size(); ++i)
    text += nlohmann::json::parse(variant_run_json(runs[i])).dump() + (i + 1 < runs.size() ? ",\n" : "\n");
  write_file_atomically((fs::path(out_dir) / "results.json").string(), text + "]}\n");
  write_file_atomically((fs::path(out_dir) / "results.csv").string(), runs_csv(runs, string_key(json, "primary_metric", source), false));
  if (load_tuning(compare_dir))  // checked, then copied as it is
    write_file_atomically((fs::path(out_dir) / "tuning.json").string(), read_text(fs::path(compare_dir) / "tuning.json"));
  const auto analysis = fs::path(compare_dir) / "analysis" / "analysis.csv";
  if (fs::exists(analysis)) {
    fs::create_directories(fs::path(out_dir) / "analysis");
    write_file_atomically((fs::path(out_dir) / "analysis" / "analysis.csv").string(), read_text(analysis));
  }
}

}  // namespace vltune::analysis
