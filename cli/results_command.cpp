// `vltune results collect COMPARE_DIR --out docs/results/STUDY` and
// `vltune results render RESULTS_DIR --doc docs/results.md [--check]`: a study's raw records into
// the repository (analysis/study_results.h), and docs/results.md's tables generated from them
// (analysis/results_doc.h). --check writes nothing and fails when the doc differs from a render.
#include <filesystem>
#include <iostream>

#include "analysis/results_doc.h"
#include "analysis/study_results.h"
#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"

namespace vltune::cli {

namespace {

std::string read_doc(const std::string& path) { return read_file_limited(path, kMaxConfigFileBytes, "[report]"); }

// The first line where two texts differ, 1-based.
int64_t first_difference(const std::string& a, const std::string& b) {
  int64_t line = 1;
  for (std::size_t i = 0; i < a.size() && i < b.size() && a[i] == b[i]; ++i) line += a[i] == '\n';
  return line;
}

}  // namespace

void add_results_command(CLI::App& app) {
  auto* results = app.add_subcommand("results", "docs/results.md's raw files and generated tables");
  results->require_subcommand(1);
  struct Args {
    std::string compare_dir, out, results_dir, doc;
    bool check = false;
  };
  auto args = std::make_shared<Args>();
  auto* collect = results->add_subcommand("collect", "Copy a comparison's raw records (results.json/csv, item scores, analysis.csv) into a study folder");
  collect->add_option("compare_dir", args->compare_dir, "The folder vltune compare wrote (its results.json)")->required()->check(CLI::ExistingDirectory);
  collect->add_option("--out", args->out, "The study folder: docs/results/<study>")->required();
  collect->callback([args] {
    analysis::collect_study(args->compare_dir, args->out);
    std::cout << "collected " << args->compare_dir << " into " << args->out << " (results.json, results.csv)\n";
  });
  auto* render = results->add_subcommand("render", "Regenerate the doc's <!-- results:STUDY --> blocks from the study folders");
  render->add_option("results_dir", args->results_dir, "The folder of study folders: docs/results")->required()->check(CLI::ExistingDirectory);
  render->add_option("--doc", args->doc, "The Markdown doc: docs/results.md")->required()->check(CLI::ExistingFile);
  render->add_flag("--check", args->check, "Write nothing; fail when the doc differs from what the files give");
  render->callback([args] {
    const auto doc = read_doc(args->doc);
    const auto rendered = analysis::render_results_doc(doc, args->doc, args->results_dir);
    if (args->check) {
      if (rendered != doc)
        fail("[report] ", args->doc, ":", first_difference(doc, rendered), ": the doc differs from its raw files in ", args->results_dir,
             "; run vltune results render ", args->results_dir, " --doc ", args->doc, " and commit the result");
      std::cout << args->doc << " agrees with " << args->results_dir << "\n";
      return;
    }
    if (rendered != doc) write_file_atomically(args->doc, rendered);
    std::cout << (rendered == doc ? "unchanged: " : "rendered: ") << args->doc << "\n";
  });
}

}  // namespace vltune::cli
