// `vltune export --model DIR --adapter DIR --out DIR`: merge an adapter into the base weights and
// write the result as a Hugging Face model folder. The base folder is only read.
#include <iostream>

#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "multimodal/model_export.h"

namespace vltune::cli {

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Merge an adapter into the base model and write a Hugging Face model folder");
  struct Args {
    std::string model_dir, adapter_dir, out_dir;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--model", args->model_dir, "Base model folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--adapter", args->adapter_dir, "Adapter folder (PEFT format)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out", args->out_dir, "Output folder (created; must not hold weights already)")->required();
  cmd->callback([args] {
    auto loaded = multimodal::load_model(args->model_dir);
    auto set = adapters::load_peft_adapter(args->adapter_dir, *loaded.model, loaded.config.has_vision());
    set->merge();
    multimodal::export_model(loaded, args->out_dir);
    std::cout << "merged " << set->entries().size() << " adapted modules into " << args->out_dir << " ("
              << loaded.layout.name << " key layout)\n";
  });
}

}  // namespace vltune::cli
