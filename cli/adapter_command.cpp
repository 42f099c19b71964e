// `vltune adapter convert --model DIR --adapter IN --out OUT`: read an adapter folder in any key
// layout vltune understands and write it the way vltune writes adapters (transformers 5 module
// names, PEFT's schema), checking on the way that it fits the model.
#include <iostream>

#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "multimodal/model_loader.h"

namespace vltune::cli {

void add_adapter_command(CLI::App& app) {
  auto* adapter = app.add_subcommand("adapter", "Adapter files");
  adapter->require_subcommand(1);
  auto* convert = adapter->add_subcommand("convert", "Re-write an adapter folder in vltune's PEFT layout");
  struct Args {
    std::string model_dir, in, out;
  };
  auto args = std::make_shared<Args>();
  convert->add_option("--model", args->model_dir, "Base model folder")->required()->check(CLI::ExistingDirectory);
  convert->add_option("--adapter", args->in, "Adapter folder to read")->required()->check(CLI::ExistingDirectory);
  convert->add_option("--out", args->out, "Folder to write")->required();
  convert->callback([args] {
    auto loaded = multimodal::load_model(args->model_dir);
    auto set = adapters::load_peft_adapter(args->in, *loaded.model, loaded.config.multimodal());
    adapters::save_peft_adapter(*set, args->out, loaded.config.multimodal());
    std::cout << "wrote " << set->entries().size() << " adapted modules to " << args->out << "\n";
  });
}

}  // namespace vltune::cli
