// `vltune compare COMPARE.yaml [--out DIR] [--set key=value]... [--verbose] [--fresh] [--tune-only] [--shard K/N]`: train a
// recipe's variants side by side on one loaded backbone and write the report (training/compare.h says what the
// file holds, and when a finished run is reused).
#include <filesystem>
#include <iostream>
#include <tuple>
#include <utility>

#include "cli/commands.h"
#include "core/error.h"
#include "distributed/launch_env.h"
#include "training/compare.h"

namespace vltune::cli {

namespace {

// "K/N" (1-based K) as (K - 1, N); run_compare checks the bounds.
std::pair<int64_t, int64_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  std::size_t used_k = 0, used_n = 0;
  try {
    if (slash != std::string::npos) {
      const auto k = std::stoll(text.substr(0, slash), &used_k), n = std::stoll(text.substr(slash + 1), &used_n);
      if (used_k == slash && used_n == text.size() - slash - 1) return {k - 1, n};
    }
  } catch (const std::exception&) {
  }
  fail("[compare] --shard ", text, ": expected K/N with 1 <= K <= N, such as 2/4");
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("compare", "Train variants of a recipe side by side and write a report with plots");
  struct Args {
    std::string file, out;
    std::vector<std::string> overrides;
    std::string shard;
    bool verbose = false, fresh = false, tune_only = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("file", args->file, "The compare YAML (a base recipe plus variants or a grid)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Report folder (default: the file's output)");
  cmd->add_option("--set", args->overrides, "Override a recipe key for every variant (repeatable): --set model.device=cuda");
  cmd->add_flag("--verbose", args->verbose, "Print every run's progress, not one line per run");
  cmd->add_flag("--fresh", args->fresh, "Retrain every run, even one that finished before with the same recipe");
  cmd->add_flag("--tune-only", args->tune_only, "A file with tune: only: train the tuning runs (with --shard, that shard's share), "
                                               "write OUT/tuning.json and stop before the seed runs");
  cmd->add_option("--shard", args->shard, "K/N: train only every N-th run, starting at the K-th, and write no report "
                                          "(split a comparison over processes; then run it once without --shard)");
  cmd->callback([args] {
    if (const auto launch = distributed::launch_env())
      fail("[compare] started as rank ", launch->rank, " of ", launch->world_size, " processes by ", launch->source,
           ": vltune compare does not spread its runs over ranks. Run it as one process, split it over independent "
           "processes with --shard K/N, or train one recipe distributed with vltune train (docs/distributed.md)");
    training::CompareOptions options;
    options.out_dir = args->out;
    options.quiet = !args->verbose;
    options.overrides = args->overrides;
    options.fresh = args->fresh;
    options.tune_only = args->tune_only;
    if (!args->shard.empty()) std::tie(options.shard_index, options.shard_count) = parse_shard(args->shard);
    const auto result = training::run_compare(args->file, options);
    if (options.shard_count > 1 || options.tune_only) return;  // a shard, or the tuning alone, writes no report
    std::cout << "\n" << result.table << "\n";
    std::cout << "report: " << (std::filesystem::path(result.out_dir) / "report.html").string() << " (also report.md, results.csv, results.json)\n";
  });
}

}  // namespace vltune::cli
