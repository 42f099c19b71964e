// `vltune export RUN_DIR (--merged | --peft) OUT`: a training run's newest adapter, merged into its
// base as a Hugging Face model folder, or written as a PEFT adapter folder in the form PEFT loads to
// the same outputs (adapters/peft_export.h: a LoRA/DoRA/magnitude mix becomes DoRA throughout).
// `vltune export --model DIR --adapter DIR (--merged | --peft) OUT`: the same for any base and
// adapter. Both forms take the same flags; an existing output folder that is not empty is refused
// unless --force. The base folder and the adapter are only read.
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
namespace fs = std::filesystem;

// The files an export writes, or that would be left stale beside what it writes (an older shard).
bool export_file(const fs::path& file) {
  const auto name = file.filename().string();
  return file.extension() == ".safetensors" || file.extension() == ".bin" || name == "model.safetensors.index.json" ||
         name == "adapter_config.json";
}

// Never a silent overwrite, in both forms: an existing folder that is not empty is refused unless
// --force, which replaces the export's own files there (weights, adapter files) and keeps the rest.
// Writing into the adapter or the model being read is refused even with --force.
void check_destination(const std::string& out_dir, bool force, const std::vector<std::string>& sources) {
  if (!fs::exists(out_dir)) return;
  if (!fs::is_directory(out_dir)) fail("[export] ", out_dir, " exists and is not a folder");
  for (const auto& source : sources)
    if (!source.empty() && fs::equivalent(out_dir, source))
      fail("[export] ", out_dir, " is the folder being exported from; choose another output folder (--force does not change this)");
  if (fs::is_empty(out_dir)) return;
  if (!force) {
    std::string named;
    for (const auto& entry : fs::directory_iterator(out_dir))
      if (named.empty() || export_file(entry.path())) named = entry.path().filename().string();
    fail("[export] ", out_dir, " already holds ", named, ": an export never overwrites silently; choose a new or empty folder, ",
         "or pass --force to replace the export's files there");
  }
  for (const auto& entry : fs::directory_iterator(out_dir))
    if (entry.is_regular_file() && export_file(entry.path())) fs::remove(entry.path());
}
}  // namespace

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Export a run's adapter (PEFT) or merge it into the base (a Hugging Face model folder)");
  struct Args {
    std::string run_dir, out_dir, model_dir, adapter_dir;
    bool merged = false, peft = false, force = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("run", args->run_dir, "A run directory (vltune train); with --model and --adapter, the output folder");
  cmd->add_option("output", args->out_dir, "Output folder (created; an existing one must be empty unless --force: nothing is overwritten silently)");
  auto* merged = cmd->add_flag("--merged", args->merged, "Merge the adapter into the base weights");
  auto* peft = cmd->add_flag("--peft", args->peft, "Write the adapter alone, in PEFT's format (a LoRA/DoRA/magnitude mix as DoRA throughout)");
  merged->excludes(peft);
  cmd->add_option("--model", args->model_dir, "Base model folder (instead of a run)")->check(CLI::ExistingDirectory);
  cmd->add_option("--adapter", args->adapter_dir, "Adapter folder, PEFT format (instead of a run)")->check(CLI::ExistingDirectory);
  cmd->add_option("--out", args->out_dir, "Output folder (the same as OUT)");
  cmd->add_flag("--force", args->force, "Write into an existing folder, replacing the weights and adapter files there");
  cmd->callback([args] {
    // With --model/--adapter the one positional is OUT (CLI11 fills the first positional first).
    if (!args->model_dir.empty() && args->out_dir.empty()) std::swap(args->run_dir, args->out_dir);
    if (args->out_dir.empty()) fail("[export] name the output folder (OUT or --out)");
    if (!args->run_dir.empty() && !fs::is_directory(args->run_dir)) fail("[export] ", args->run_dir, " is not a run directory");
    if (!args->merged && !args->peft) fail("[export] say --merged (a full model folder) or --peft (the adapter alone)");
    if (args->run_dir.empty() && (args->model_dir.empty() || args->adapter_dir.empty()))
      fail("[export] give a RUN directory, or --model DIR and --adapter DIR");
    const std::string adapter = args->adapter_dir.empty() ? training::latest_adapter(args->run_dir) : args->adapter_dir;
    const std::string model_dir = args->run_dir.empty() ? args->model_dir : training::run_recipe(args->run_dir).file_path("model.path");
    check_destination(args->out_dir, args->force, {adapter, model_dir});  // before anything is loaded
    // On the CPU, whatever device the run trained on: the adapter files load to the CPU, and the
    // export is written from there (a CUDA run's backbone and its adapter met on two devices).
    multimodal::LoadedModel loaded = args->run_dir.empty()
                                               ? multimodal::load_model(args->model_dir)
                                               : training::load_backbone(training::run_recipe(args->run_dir, {"model.device=cpu"})).loaded;
    auto set = adapters::load_peft_adapter(adapter, *loaded.model, loaded.config.multimodal());
    if (args->peft) {
      adapters::export_peft_adapter(*set, args->out_dir, loaded.config.multimodal());
      std::cout << "wrote the adapter " << adapter << " (" << set->entries().size() << " modules) to " << args->out_dir << "\n";
      return;
    }
    set->merge();
    multimodal::export_model(loaded, args->out_dir);
    std::cout << "merged " << set->entries().size() << " adapted modules into " << args->out_dir << " ("
              << loaded.layout.name << " key layout)\n";
  });
}

}  // namespace vltune::cli
