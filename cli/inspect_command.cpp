#include <iostream>

#include "cli/commands.h"
#include "multimodal/model_summary.h"

namespace vltune::cli {

void add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Describe a Hugging Face model folder and the modules adapters can target");
  auto model_dir = std::make_shared<std::string>();
  cmd->add_option("model_dir", *model_dir, "Folder with config.json and model.safetensors (or shards)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->callback([model_dir] { std::cout << multimodal::describe_model(multimodal::load_model(*model_dir)); });
}

}  // namespace vltune::cli
