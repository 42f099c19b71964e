// vltune: fine-tune vision-language models with DoRA and its relatives. `vltune --help` lists the
// commands; each lives in cli/<command>_command.cpp.
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"vltune: DoRA-family fine-tuning of vision-language models"};
  app.require_subcommand(1);
  vltune::cli::add_inspect_command(app);
  vltune::cli::add_forward_command(app);
  vltune::cli::add_plan_command(app);
  vltune::cli::add_export_command(app);
  vltune::cli::add_data_command(app);
  vltune::cli::add_tokenizer_command(app);
  vltune::cli::add_prepare_command(app);
  vltune::cli::add_adapter_command(app);
  vltune::cli::add_recipe_command(app);
  vltune::cli::add_generate_command(app);
  vltune::cli::add_train_command(app);
  vltune::cli::add_eval_command(app);
  vltune::cli::add_compare_command(app);
  vltune::cli::add_analyze_command(app);
  vltune::cli::add_preprocess_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const vltune::Error& e) {
    std::cerr << "vltune: error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "vltune: error (LibTorch): " << e.what_without_backtrace() << "\n";
    return 1;
  }
  return 0;
}
