// `vltune train RECIPE [--set key=value]... [--resume [--override]]` or `vltune train RUN_DIR
// --resume`: train a recipe's adapters, writing checkpoints, metrics.jsonl, TensorBoard events and
// a summary into its run directory. A resumed run goes on with its own recipe.yaml; a recipe or
// --set that would change it is refused, listing the differences, unless --override.
// Under torchrun or srun each process is one rank of a data-parallel run (docs/distributed.md):
// every rank reads the same recipe (the run's recipe.yaml when resuming), rank 0 alone writes the
// run directory and prints the result.
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "training/distributed_run.h"
#include "training/run_directory.h"
#include "training/trainer.h"

namespace vltune::cli {

namespace {

struct TrainArgs {
  std::string target, run_dir;
  std::vector<std::string> overrides;
  bool resume = false, override_recipe = false;
};

// The recipe to train and the run directory it trains into (request.run_dir, "" for output.dir).
training::Recipe recipe_to_train(const TrainArgs& args, training::TrainRequest& request) {
  if (args.override_recipe && !args.resume) fail("[train] --override goes with --resume (it lets a resumed run change its recipe)");
  request.run_dir = args.run_dir;
  if (training::is_run_directory(args.target)) {
    if (!args.resume) fail("[train] ", args.target, " is a run directory: pass --resume to continue it");
    if (!args.run_dir.empty()) fail("[train] --run-dir goes with a recipe; ", args.target, " is itself the run directory");
    request.run_dir = args.target;
    return training::recipe_for_resume(args.target, training::run_recipe(args.target, args.overrides), args.override_recipe);
  }
  auto recipe = training::Recipe::load(args.target, args.overrides);
  if (!args.resume) return recipe;
  return training::recipe_for_resume(training::run_directory(recipe, args.run_dir), recipe,
                                     args.override_recipe);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a recipe, or resume a run (docs/recipes.md)");
  auto args = std::make_shared<TrainArgs>();
  cmd->add_option("recipe", args->target, "The recipe YAML, or with --resume a run directory")->required()->check(CLI::ExistingPath);
  cmd->add_option("--set", args->overrides, "Override a key: --set train.lr=2e-4 (repeatable)");
  cmd->add_flag("--resume", args->resume,
                "Continue from the run directory's newest checkpoint, with the run's own recipe.yaml (a recipe or "
                "--set that changes it is refused, listing the differences)");
  cmd->add_flag("--override", args->override_recipe, "With --resume: go on with the given recipe and --sets although they change the run's");
  cmd->add_option("--run-dir", args->run_dir, "Run directory (default: the recipe's output.dir)");
  cmd->callback([args] {
    training::TrainRequest request;
    request.resume = args->resume;
    const auto recipe = recipe_to_train(*args, request);
    const auto device = training::rank_device(recipe);
    const auto group = training::join_launch(recipe, device);  // alone without a launch
    request.group = group.get();
    training::RunResult result;
    try {
      auto backbone = training::load_backbone(recipe, device);
      result = training::train(backbone, recipe, request);
    } catch (const std::exception& e) {
      group->report_failure(e.what());  // for the other ranks' message
      throw;
    }
    if (!group->is_main()) return;
    std::cout << "trained " << result.steps << " steps into " << result.run_dir << "\n";
    for (const auto& [name, value] : result.metrics) std::cout << "  " << name << " = " << std::setprecision(6) << value << "\n";
  });
}

}  // namespace vltune::cli
