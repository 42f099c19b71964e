// `vltune analyze RUN_DIR... [--modules q_proj,v_proj] [--layers all|0,3,5] [--out DIR]`: the DoRA
// paper's magnitude/direction analysis of trained runs (analysis/run_analysis.h): ΔM, ΔD, ‖ΔW‖ and
// the mean row angle of each chosen decoder module at each checkpoint, written as analysis.csv, one
// scatter per method and analysis.md (q_proj per checkpoint: r, partial r given ‖ΔW‖, mean angle;
// then each method's pooled slope and Pearson correlation, which are also printed).
#include <iostream>
#include <sstream>

#include "analysis/analysis_report.h"
#include "analysis/run_analysis.h"
#include "cli/commands.h"
#include "core/error.h"

namespace vltune::cli {

namespace {

std::vector<int64_t> parse_layers(const std::string& text) {
  if (text == "all") return {};
  std::vector<int64_t> layers;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    std::size_t used = 0;
    try {
      layers.push_back(std::stoll(item, &used));
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || layers.back() < 0)
      fail("[analyze] --layers '", text, "': expected all or a comma-separated list of layer numbers such as 0,3,5");
  }
  return layers;
}

}  // namespace

void add_analyze_command(CLI::App& app) {
  auto* command = app.add_subcommand("analyze", "Magnitude and direction changes (DoRA paper §3) of trained runs' checkpoints");
  struct Args {
    std::vector<std::string> runs;
    std::vector<std::string> modules = {"q_proj", "v_proj"};
    std::string layers = "all";
    std::string out = "vltune-analysis";
  };
  auto args = std::make_shared<Args>();
  command->add_option("runs", args->runs, "Run folders (RUN/recipe.yaml, RUN/checkpoints/step-*/adapter)")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_option("--modules", args->modules, "Decoder linear modules to analyse")->delimiter(',')->capture_default_str();
  command->add_option("--layers", args->layers, "Decoder layers: all or a list such as 0,3,5")->capture_default_str();
  command->add_option("--out", args->out, "Folder for analysis.csv, analysis.md and the plots")->capture_default_str();
  command->callback([args] {
    analysis::AnalysisOptions options;
    options.modules = args->modules;
    options.layers = parse_layers(args->layers);
    const auto points = analysis::analyze_runs(args->runs, options);
    analysis::write_analysis(args->out, points);
    std::cout << analysis::summary_table(analysis::summarize(points)) << "\nwrote " << points.size()
              << " points to " << args->out << "/analysis.csv, analysis.md and analysis-<method>.svg\n";
  });
}

}  // namespace vltune::cli
