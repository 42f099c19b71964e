// `vltune export RUN_DIR (--merged | --peft) OUT`: a training run's newest adapter, merged into its
// base as a Hugging Face model folder, or written as a PEFT adapter folder in the form PEFT loads to
// the same outputs (adapters/peft_export.h: a LoRA/DoRA/magnitude mix becomes DoRA throughout).
// `vltune export --model DIR --adapter DIR --out DIR`: the same merge for any base and adapter.
// The base folder is only read.
#include <filesystem>
#include <iostream>

#include "adapters/peft_export.h"
#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "core/error.h"
#include "multimodal/model_export.h"
#include "training/run_directory.h"
#include "training/run_setup.h"

namespace vltune::cli {

namespace {
// An adapter export never writes over an adapter (the run's own checkpoint, say) or weights.
void refuse_existing_adapter(const std::string& out_dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(out_dir)) return;
  if (!fs::is_directory(out_dir)) fail("[export] ", out_dir, " exists and is not a folder");
  for (const auto& entry : fs::directory_iterator(out_dir))
    if (entry.path().extension() == ".safetensors" || entry.path().extension() == ".bin" || entry.path().filename() == "adapter_config.json")
      fail("[export] ", out_dir, " already holds ", entry.path().filename().string(),
           "; an export never overwrites an adapter or weights: choose a new or empty folder");
}
}  // namespace

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Export a run's adapter (PEFT) or merge it into the base (a Hugging Face model folder)");
  struct Args {
    std::string run_dir, out_dir, model_dir, adapter_dir;
    bool merged = false, peft = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("run", args->run_dir, "A run directory (vltune train)")->check(CLI::ExistingDirectory);
  cmd->add_option("output", args->out_dir, "Output folder (created; must not hold an adapter or weights already: nothing is overwritten)");
  auto* merged = cmd->add_flag("--merged", args->merged, "Merge the adapter into the base weights");
  auto* peft = cmd->add_flag("--peft", args->peft, "Write the adapter alone, in PEFT's format (a LoRA/DoRA/magnitude mix as DoRA throughout)");
  merged->excludes(peft);
  cmd->add_option("--model", args->model_dir, "Base model folder (instead of a run)")->check(CLI::ExistingDirectory);
  cmd->add_option("--adapter", args->adapter_dir, "Adapter folder, PEFT format (instead of a run)")->check(CLI::ExistingDirectory);
  cmd->add_option("--out", args->out_dir, "Output folder (the same as OUT)");
  cmd->callback([args] {
    if (args->out_dir.empty()) fail("[export] name the output folder (OUT or --out)");
    if (args->peft) refuse_existing_adapter(args->out_dir);  // before anything is loaded
    multimodal::LoadedModel loaded;
    std::string adapter = args->adapter_dir;
    if (!args->run_dir.empty()) {
      if (!args->merged && !args->peft) fail("[export] say --merged (a full model folder) or --peft (the adapter alone)");
      if (adapter.empty()) adapter = training::latest_adapter(args->run_dir);
      loaded = training::load_backbone(training::run_recipe(args->run_dir)).loaded;
    } else {
      if (args->model_dir.empty() || adapter.empty()) fail("[export] give a RUN directory, or --model DIR and --adapter DIR");
      loaded = multimodal::load_model(args->model_dir);
    }
    auto set = adapters::load_peft_adapter(adapter, *loaded.model, loaded.config.multimodal());
    if (args->peft) {
      adapters::export_peft_adapter(*set, args->out_dir, loaded.config.multimodal());
      std::cout << "wrote the adapter of " << args->run_dir << " (" << set->entries().size() << " modules) to " << args->out_dir << "\n";
      return;
    }
    set->merge();
    multimodal::export_model(loaded, args->out_dir);
    std::cout << "merged " << set->entries().size() << " adapted modules into " << args->out_dir << " ("
              << loaded.layout.name << " key layout)\n";
  });
}

}  // namespace vltune::cli
