// Each `vltune <command>` registers itself on the CLI11 app here; the command bodies are thin
// wrappers over the library.
#pragma once
#include <CLI/CLI.hpp>

namespace vltune::cli {

void add_inspect_command(CLI::App& app);
void add_forward_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_tokenizer_command(CLI::App& app);
void add_prepare_command(CLI::App& app);
void add_adapter_command(CLI::App& app);
void add_recipe_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_analyze_command(CLI::App& app);
void add_results_command(CLI::App& app);
void add_preprocess_command(CLI::App& app);

}  // namespace vltune::cli
