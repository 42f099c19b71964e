// `vltune compare COMPARE.yaml [--out DIR] [--set key=value]... [--verbose]`: train a recipe's variants side by side on
// one loaded backbone and write the report (training/compare.h says what the file holds).
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "training/compare.h"

namespace vltune::cli {

void add_compare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("compare", "Train variants of a recipe side by side and write a report with plots");
  struct Args {
    std::string file, out;
    std::vector<std::string> overrides;
    bool verbose = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("file", args->file, "The compare YAML (a base recipe plus variants or a grid)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Report folder (default: the file's output)");
  cmd->add_option("--set", args->overrides, "Override a recipe key for every variant (repeatable): --set model.device=cuda");
  cmd->add_flag("--verbose", args->verbose, "Print every run's progress, not one line per run");
  cmd->callback([args] {
    training::CompareOptions options;
    options.out_dir = args->out;
    options.quiet = !args->verbose;
    options.overrides = args->overrides;
    const auto result = training::run_compare(args->file, options);
    std::cout << "\n" << result.table << "\n";
    std::cout << "report: " << (std::filesystem::path(result.out_dir) / "report.html").string() << " (also report.md, results.csv, results.json)\n";
  });
}

}  // namespace vltune::cli
