// `vltune plan FILE [--model DIR]`: the dry run of an adapter placement, printing every adapted
// module with its method, rank and trainable parameters, and the totals. FILE is a recipe (its
// `extends` and model.path followed) or any YAML with a top-level `adapters:` key.
#include <filesystem>
#include <iostream>

#include "adapters/placement.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/yaml_util.h"
#include "multimodal/model_loader.h"
#include "training/recipe.h"

namespace vltune::cli {

void add_plan_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "Show where a recipe's adapters go, without training");
  auto file = std::make_shared<std::string>();
  auto model_dir = std::make_shared<std::string>();
  auto* positional = cmd->add_option("file", *file, "A recipe, or a YAML with a top-level 'adapters:' key")
                         ->check(CLI::ExistingFile);
  auto* named = cmd->add_option("--adapters", *file, "The same, as an option")->check(CLI::ExistingFile);
  positional->excludes(named);
  cmd->add_option("--model", *model_dir, "Model folder (default: the file's model.path, relative to the file)");
  cmd->callback([file, model_dir] {
    if (file->empty()) fail("[plan] name the YAML file, as an argument or with --adapters FILE");
    const auto root = load_yaml_file(*file);
    adapters::Placement placement;
    std::string dir = *model_dir;
    multimodal::LoadOptions options;
    if (root.IsMap() && (root["extends"] || root["data"])) {  // a recipe
      const auto recipe = training::Recipe::load(*file);
      placement = adapters::parse_placement(recipe.find("adapters"), recipe.origin_file("adapters"));
      if (dir.empty()) dir = recipe.file_path("model.path");
      if (recipe.str("model.init") == "random") options.random_init_seed = 0;  // shapes are all a plan needs
    } else {
      placement = adapters::load_placement(*file);
      if (dir.empty()) {
        if (!root.IsMap() || !root["model"].IsMap() || !root["model"]["path"]) fail("[plan] ", *file, ": no model.path; pass --model DIR");
        dir = (std::filesystem::path(*file).parent_path() / yaml_string(*file, root["model"]["path"], "model.path")).string();
      }
    }
    auto loaded = multimodal::load_model(dir, options);
    const auto plan = adapters::plan_adapters(placement, adapters::linear_sites(*loaded.model));
    int64_t params = 0;
    for (const auto& p : loaded.model->parameters()) params += p.numel();
    std::cout << adapters::describe_plan(plan, params);
  });
}

}  // namespace vltune::cli
