#include "analysis/run_analysis.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "adapters/peft_io.h"
#include "adapters/placement.h"
#include "analysis/weight_decomposition.h"
#include "core/error.h"
#include "core/log.h"
#include "core/yaml_util.h"
#include "multimodal/model_loader.h"

namespace fs = std::filesystem;

namespace vltune::analysis {

namespace {

std::string run_name(const std::string& run_dir) {
  const auto path = fs::path(run_dir).lexically_normal();
  const auto name = path.filename().string();
  return name.empty() ? path.parent_path().filename().string() : name;
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The decoder linears the options choose, checked against what the model has.
std::vector<adapters::LinearSite> chosen_sites(torch::nn::Module& model, const AnalysisOptions& options,
                                               const std::string& model_dir) {
  std::set<std::string> leaves;
  std::set<int64_t> layers;
  std::vector<adapters::LinearSite> language;
  for (auto& site : adapters::linear_sites(model)) {
    if (site.component != "language" || !site.layer) continue;
    leaves.insert(site.leaf);
    layers.insert(*site.layer);
    language.push_back(site);
  }
  for (const auto& module : options.modules)
    if (!leaves.count(module))
      fail("[analyze] ", model_dir, ": the language model has no linear module named '", module, "'; expected one of ", join(leaves));
  for (int64_t layer : options.layers)
    if (!layers.count(layer))
      fail("[analyze] ", model_dir, ": the language model has no layer ", layer, "; expected 0 to ", layers.empty() ? -1 : *layers.rbegin());
  std::vector<adapters::LinearSite> chosen;
  for (auto& site : language) {
    const bool module_chosen = std::count(options.modules.begin(), options.modules.end(), site.leaf) > 0;
    const bool layer_chosen = options.layers.empty() || std::count(options.layers.begin(), options.layers.end(), *site.layer) > 0;
    if (module_chosen && layer_chosen) chosen.push_back(site);
  }
  return chosen;
}

}  // namespace

std::string run_model_path(const std::string& run_dir) {
  const auto recipe = (fs::path(run_dir) / "recipe.yaml").string();
  if (!fs::exists(recipe)) fail("[analyze] ", run_dir, ": no recipe.yaml; expected a run folder written by vltune train");
  const auto root = load_yaml_file(recipe);
  const auto path = root.IsMap() && root["model"].IsMap() ? root["model"]["path"] : YAML::Node();
  if (!path || !path.IsScalar() || path.Scalar().empty())
    fail("[analyze] ", recipe, ": expected model.path, the base model folder (absolute or relative to the run folder)");
  const fs::path model(path.Scalar());
  return (model.is_absolute() ? model : fs::path(run_dir) / model).lexically_normal().string();
}

std::vector<AnalysisPoint> analyze_runs(const std::vector<std::string>& run_dirs, const AnalysisOptions& options) {
  std::vector<AnalysisPoint> points;
  std::string loaded_dir;
  multimodal::LoadedModel loaded;  // runs in a row on one base share it
  for (const auto& run_dir : run_dirs) {
    const auto checkpoints = run_checkpoints(run_dir);
    if (checkpoints.empty())
      fail("[analyze] ", run_dir, ": no checkpoints; expected folders checkpoints/step-NNNNNNNN holding an adapter/");
    const auto model_dir = run_model_path(run_dir);
    if (model_dir != loaded_dir) {
      multimodal::LoadOptions float32;
      float32.dtype = torch::kFloat32;
      loaded = multimodal::load_model(model_dir, float32);
      loaded_dir = model_dir;
    }
    const auto sites = chosen_sites(*loaded.model, options, model_dir);
    const auto before = points.size();
    for (const auto& [step, folder] : checkpoints) {
      auto set = adapters::load_peft_adapter((fs::path(folder) / "adapter").string(), *loaded.model, loaded.config.multimodal());
      for (const auto& site : sites) {
        const auto adapter = set->find(site.path);
        if (!adapter) continue;
        const auto change = decomposition_change(site.linear->weight, adapter->merged_weight(), folder + ": " + site.path);
        points.push_back({run_name(run_dir), adapters::method_name(adapter->spec().method), step, site.leaf, *site.layer,
                          change.delta_m, change.delta_d, change.update_norm, change.angle_deg});
      }
    }
    if (points.size() == before)
      log_warning(cat("analyze: ", run_dir, ": none of the chosen modules carries an adapter; the run adds no points"));
  }
  return points;
}

}  // namespace vltune::analysis
