// `vltune train RECIPE [--set key=value]... [--resume]`: train a recipe's adapters, writing
// checkpoints, metrics.jsonl, TensorBoard events and a summary into its run directory. Under
// torchrun or srun each process is one rank of a data-parallel run (docs/distributed.md); rank 0
// writes the run directory and prints the result.
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "training/distributed_run.h"
#include "training/trainer.h"

namespace vltune::cli {

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a recipe (docs/recipes.md)");
  struct Args {
    std::string recipe, run_dir;
    std::vector<std::string> overrides;
    bool resume = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("recipe", args->recipe, "The recipe YAML")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", args->overrides, "Override a key: --set train.lr=2e-4 (repeatable)");
  cmd->add_flag("--resume", args->resume, "Continue from the run directory's newest checkpoint");
  cmd->add_option("--run-dir", args->run_dir, "Run directory (default: the recipe's output.dir)");
  cmd->callback([args] {
    auto overrides = args->overrides;
    const auto launch = distributed::launch_env();
    // model.device: cuda means each rank's own GPU, cuda:LOCAL_RANK, under a launch.
    if (launch && training::Recipe::load(args->recipe, overrides).str("model.device") == "cuda")
      overrides.push_back(cat("model.device=cuda:", launch->local_rank));
    const auto recipe = training::Recipe::load(args->recipe, overrides);
    auto group = training::join_launch(recipe, training::parse_device(recipe.str("model.device"), recipe.where("model.device")));
    training::RunResult result;
    try {
      auto backbone = training::load_backbone(recipe);
      training::TrainRequest request;
      request.resume = args->resume;
      request.run_dir = args->run_dir;
      request.group = group.get();
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
