// vltune: fine-tune vision-language models with DoRA and its relatives. `vltune --help` lists the
// commands; each lives in cli/<command>_command.cpp.
#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "core/error.h"

namespace {

// Any exception as a message (cli/error_report.h); LibTorch's c10::Error by its first line, the
// rest being a backtrace or a dispatcher's table.
std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    return "(LibTorch) " + vltune::cli::one_line(message.substr(0, message.find('\n')));
  } catch (...) {
    return vltune::cli::describe_exception(std::current_exception());
  }
}

// An exception that escapes where it cannot be caught (a noexcept function, a thread) is a bug:
// say what it was, then abort as std::terminate would.
[[noreturn]] void on_terminate() {
  if (auto error = std::current_exception()) std::cerr << "vltune: internal error: " << describe(error) << "\n";
  std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate(on_terminate);
  CLI::App app{"vltune: DoRA-family fine-tuning of vision-language models"};
  app.set_version_flag("--version", "vltune " VLTUNE_VERSION);
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
  vltune::cli::add_results_command(app);
  vltune::cli::add_preprocess_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (...) {
    std::cerr << "vltune: error: " << describe(std::current_exception()) << "\n";
    return 1;
  }
  return 0;
}
