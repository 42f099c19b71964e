// `vltune eval RECIPE|RUN_DIR [--adapter DIR] [--set key=value]...`: evaluate a run's newest
// checkpoint (or a recipe's run directory's, or a given adapter, or the bare base model) with the
// recipe's eval section, and print the metrics as JSON. --adapter takes a run directory (its newest
// checkpoint), a checkpoint folder or a PEFT folder; an adapter from another run than the one
// evaluated brings that run's chat template, frame sampling and pooling (before any --set).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <optional>

#include "adapters/adapter_set.h"
#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "training/checkpoint.h"
#include "training/evaluate.h"
#include "training/run_directory.h"
#include "training/trainer.h"

namespace fs = std::filesystem;

namespace vltune::cli {

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a run (its newest checkpoint) or a recipe on its eval data");
  struct Args {
    std::string target, adapter;
    std::vector<std::string> overrides;
    bool base = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("target", args->target, "A run directory, or a recipe")->required()->check(CLI::ExistingPath);
  cmd->add_option("--adapter", args->adapter,
                  "Evaluate this adapter instead: a run directory (its newest checkpoint), a checkpoint folder or a PEFT folder")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--base", args->base, "Evaluate the base model without adapters");
  cmd->add_option("--set", args->overrides, "Override a recipe key (repeatable)");
  cmd->callback([args] {
    const bool run = training::is_run_directory(args->target);
    training::AdapterSource source;
    if (!args->adapter.empty()) source = training::resolve_adapter(args->adapter);
    auto overrides = args->overrides;
    if (!source.run_dir.empty() && !(run && fs::equivalent(source.run_dir, args->target))) {
      const auto sets = training::generation_overrides(training::run_recipe(source.run_dir));
      std::string listed;
      for (const auto& set : sets) listed += " --set " + set;
      log_info(cat("evaluating the adapter of ", source.run_dir, " as it trained:", listed));
      overrides.insert(overrides.begin(), sets.begin(), sets.end());
    }
    const auto recipe = run ? training::run_recipe(args->target, overrides) : training::Recipe::load(args->target, overrides);
    std::string adapter = source.adapter_dir;
    if (adapter.empty() && !args->base) {
      const auto run_dir = run ? args->target : training::run_directory(recipe);
      if (!training::latest_checkpoint(run_dir)) fail("[eval] ", run_dir, " has no checkpoint; train first, or pass --adapter DIR or --base");
      adapter = training::latest_adapter(run_dir);
    }
    auto backbone = training::load_backbone(recipe);
    auto data = training::load_run_data(recipe, backbone);
    std::optional<adapters::AttachedSet> attached;
    if (!adapter.empty()) {
      attached.emplace(adapters::load_peft_adapter(adapter, backbone.model(), backbone.multimodal(), "eval"));
      (*attached)->train(false);
      log_info(cat("evaluating ", adapter));
    }
    auto settings = training::eval_settings(recipe, backbone);
    settings.progress = &std::cerr;
    const auto result = training::evaluate(backbone, data, settings, training::video_pooling(recipe));
    nlohmann::json out = result.metrics;
    out["bad_samples"] = data.bad->count();
    std::cout << out.dump(2) << "\n";
  });
}

}  // namespace vltune::cli
