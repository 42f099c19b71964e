#include "analysis/results_doc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "analysis/analysis_report.h"
#include "analysis/markdown_table.h"
#include "analysis/study_results.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace vltune::analysis {

namespace {

constexpr const char* kOpen = "<!-- results:";
constexpr const char* kClose = "<!-- /results -->";

struct Block {
  std::string study, table = "runs", refs;
};

std::string format(double value, const char* pattern) {
  if (std::isnan(value)) return "n/a";
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

std::string mean_pm_std(const MeanStd& value) {
  if (value.n == 0 || std::isnan(value.mean)) return "-";
  return value.n < 2 ? format(value.mean, "%.3f") : format(value.mean, "%.3f") + " ± " + format(value.std, "%.3f");
}

// "<!-- results:STUDY key=value ... -->" read into a Block; `where` is the doc's file:line.
Block read_marker(const std::string& line, const std::string& where) {
  const auto end = line.rfind("-->");
  std::istringstream words(line.substr(std::string(kOpen).size(), end - std::string(kOpen).size()));
  Block block;
  words >> block.study;
  for (std::string word; words >> word;) {
    const auto equals = word.find('=');
    const auto key = word.substr(0, equals), value = equals == std::string::npos ? "" : word.substr(equals + 1);
    if (key == "table" && (value == "runs" || value == "analysis")) block.table = value;
    else if (key == "refs" && !value.empty()) block.refs = value;
    else fail("[report] ", where, ": '", word, "' in a results marker; expected table=runs|analysis or refs=STUDY");
  }
  if (block.study.empty() || block.study.find_first_of("/\\") != std::string::npos || block.study[0] == '.' ||
      block.refs.find_first_of("/\\") != std::string::npos || (!block.refs.empty() && block.refs[0] == '.'))
    fail("[report] ", where, ": expected <!-- results:STUDY ... --> naming a folder of the results directory");
  return block;
}

// A variant's LoRA: the lora variant of the same placement and rank, else the study's only one.
const VariantSummary* lora_of(const VariantSummary& variant, const std::vector<VariantSummary>& all) {
  if (variant.method == "lora") return nullptr;
  std::vector<const VariantSummary*> same, any;
  for (const auto& other : all)
    if (other.method == "lora") {
      any.push_back(&other);
      if (other.placement == variant.placement && other.rank == variant.rank) same.push_back(&other);
    }
  if (same.size() == 1) return same.front();
  return any.size() == 1 ? any.front() : nullptr;
}

// The paired difference of `variant` against `lora` on the primary metric's item scores, over
// their common seeds; nullopt when either lacks item scores or they share no seed.
std::optional<PairedDifference> against(const Study& study, const VariantSummary& variant, const VariantSummary& lora,
                                        const BootstrapOptions& options) {
  std::map<uint64_t, const std::vector<double>*> mine, theirs;
  for (const auto& run : study.runs) {
    const auto scores = run.item_scores.find(study.primary_metric);
    if (scores == run.item_scores.end() || scores->second.empty()) continue;
    if (run.variant == variant.variant) mine[run.seed] = &scores->second;
    if (run.variant == lora.variant) theirs[run.seed] = &scores->second;
  }
  std::vector<std::vector<double>> differences;
  for (const auto& [seed, scores] : mine) {
    const auto other = theirs.find(seed);
    if (other == theirs.end()) continue;
    differences.emplace_back();
    for (std::size_t i = 0; i < scores->size(); ++i) differences.back().push_back((*scores)[i] - (*other->second)[i]);
  }
  if (differences.empty()) return std::nullopt;
  return paired_bootstrap(differences, options);
}

std::vector<std::string> metric_columns(const Study& study) {
  std::vector<std::string> names = {study.primary_metric};
  for (const auto& run : study.runs)
    for (const auto& [name, value] : run.metrics)
      if (name != "train_loss" && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  std::sort(names.begin() + 1, names.end());
  return names;
}

// The learning rate of a variant's runs (%g; several joined by "/"), "-" where none is recorded.
std::string lr_of(const Study& study, const std::string& variant) {
  std::vector<double> values;
  for (const auto& run : study.runs)
    if (run.variant == variant && run.lr > 0 && std::find(values.begin(), values.end(), run.lr) == values.end()) values.push_back(run.lr);
  std::sort(values.begin(), values.end());
  std::string out;
  for (const auto value : values) out += (out.empty() ? "" : "/") + format(value, "%g");
  return out.empty() ? "-" : out;
}

// A paired difference as the tables print it: "+0.004 [-0.010, +0.018]".
std::string interval_text(double mean, double low, double high) {
  return format(mean, "%+.3f") + " [" + format(low, "%+.3f") + ", " + format(high, "%+.3f") + "]";
}

// The chosen candidate's lead over the next best on the validation items, with its interval;
// "undecided" when the interval includes 0 (on other samples the two could swap).
std::string margin_note(const StudyTuning::Margin& m) {
  return cat(" (ahead of ", format(m.over_lr, "%g"), " by ", interval_text(m.mean, m.low, m.high), " on its ", m.items,
             " validation samples: ", verdict_of(m.low, m.high) == "better" ? "decided" : "undecided", ")");
}

// Where a variant's chosen lr sits at an end of its candidates, the words that say so ("" inside):
// its row is then the grid's best, and its own best lr may lie beyond.
std::string grid_end_note(const StudyTuning::Variant& v) {
  if (v.candidates.size() < 2) return "";
  const auto [low, high] = std::minmax_element(v.candidates.begin(), v.candidates.end(),
                                               [](const auto& a, const auto& b) { return a.lr < b.lr; });
  if (v.chosen_lr == high->lr) return " (the grid's top: a higher lr may do better)";
  if (v.chosen_lr == low->lr) return " (the grid's bottom: a lower lr may do better)";
  return "";
}

// The tuning of a study with tuning.json, one line per variant: each candidate's validation score
// on the primary metric (or where its run diverged), the chosen one in bold, and notes when it is
// an end of the grid, and its lead over the next best with an interval (none where tuning.json has
// no margin: a variant with one finished candidate, or runs without per-item scores).
std::string tuning_lines(const StudyTuning& tuning, const std::string& study) {
  std::string out = cat("\nLearning rates tuned on a validation split (`docs/results/", study, "/tuning.json`): ",
                        format(100 * tuning.validation, "%g"), "% of the training data held out (the same samples for every run), one ",
                        "run per candidate with seed ", tuning.seed, "; ", tuning.primary_metric, " on the held-out samples, chosen by ",
                        tuning.rule, ":\n\n");
  for (const auto& v : tuning.variants) {
    out += "- " + v.variant + ":";
    for (const auto& c : v.candidates) {
      const auto score = c.metrics.find(tuning.primary_metric);
      const auto result = c.diverged_step > 0 ? cat("diverged at step ", c.diverged_step, " (", c.diverged_cause, ")")
                          : score == c.metrics.end() ? "-" : format(score->second, "%.3f");
      const auto text = cat(format(c.lr, "%g"), " → ", result);
      out += (&c == &v.candidates.front() ? " " : ", ") + (c.lr == v.chosen_lr ? "**" + text + "**" : text);
    }
    out += grid_end_note(v) + (v.margin ? margin_note(*v.margin) : "") + "\n";
  }
  return out;
}

std::vector<std::string> reference_row(const std::string& label, const std::optional<std::map<std::string, double>>& metrics,
                                       const std::vector<std::string>& columns, const std::string& missing) {
  std::vector<std::string> row = {label, "-", "-", "-", "-"};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    // `vltune data prior --json` names its score "prior": the primary metric's value.
    const auto name = metrics && i == 0 && !metrics->count(columns[i]) && metrics->count("prior") ? "prior" : columns[i];
    if (!metrics) row.push_back(i == 0 ? missing : "-");
    else row.push_back(metrics->count(name) ? format(metrics->at(name), "%.3f") : "-");
    if (i == 0) row.insert(row.end(), {"-", "-"});
  }
  row.insert(row.end(), {"-", "-"});
  return row;
}

std::vector<std::string> variant_row(const Study& study, const VariantSummary& v, const std::vector<VariantSummary>& all,
                                     const std::vector<std::string>& columns, const BootstrapOptions& options, const std::string& label) {
  std::vector<std::string> row = {label, v.method, v.rank > 0 ? std::to_string(v.rank) : "-",
                                  with_thousands(v.trainable_params) + " (" + format(v.trainable_percent, "%.3g") + "%)",
                                  std::to_string(v.seeds.size())};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto found = v.metrics.find(columns[i]);
    row.push_back(found == v.metrics.end() ? "-" : mean_pm_std(found->second));
    if (i > 0) continue;
    const auto* lora = lora_of(v, all);
    const auto paired = lora ? against(study, v, *lora, options) : std::nullopt;
    if (v.method == "lora") row.insert(row.end(), {"(baseline)", "-"});
    else if (!paired) row.insert(row.end(), {"-", "-"});
    else
      row.insert(row.end(), {interval_text(paired->mean, paired->low, paired->high) + " vs " + lora->variant, paired->verdict});
  }
  row.push_back(format(v.step_time_ms.mean, "%.1f"));
  row.push_back(lr_of(study, v.variant));
  return row;
}

std::string runs_block(const std::string& results_dir, const Block& block, const BootstrapOptions& options) {
  const auto folder = fs::path(results_dir) / block.study;
  const auto refs = fs::path(results_dir) / (block.refs.empty() ? block.study : block.refs);
  const auto study = load_study(folder.string());
  const auto variants = summarize_variants(study.runs);
  const auto columns = metric_columns(study);
  Table table;
  table.text_columns = 2;
  table.headers = {"variant", "method", "rank", "trainable params (% of model)", "seeds", columns[0] + " (mean ± std)",
                   "Δ vs LoRA [95% CI]", "verdict"};
  for (std::size_t i = 1; i < columns.size(); ++i) table.headers.push_back(columns[i]);
  table.headers.push_back("step (ms)");
  const auto tuning = load_tuning(folder.string());
  table.headers.push_back(tuning ? "lr (tuned)" : "lr");
  table.rows.push_back(reference_row("base, before fine-tuning", load_reference(refs.string(), "base"), columns, "not measured (no base.json)"));
  table.rows.push_back(reference_row("text-only prior", load_reference(refs.string(), "prior"), columns, "not measured (no prior.json)"));
  const auto full = std::find_if(variants.begin(), variants.end(), [](const auto& v) { return v.method == "full"; });
  if (full != variants.end()) {
    table.rows.push_back(variant_row(study, *full, variants, columns, options, "FT: " + full->variant));
  } else if (!block.refs.empty()) {
    const auto ref_study = load_study(refs.string());
    const auto ref_variants = summarize_variants(ref_study.runs);
    const auto ref_full = std::find_if(ref_variants.begin(), ref_variants.end(), [](const auto& v) { return v.method == "full"; });
    if (ref_full == ref_variants.end()) fail("[report] ", refs.string(), ": refs= names a study without a full fine-tuning variant");
    auto row = variant_row(ref_study, *ref_full, ref_variants, columns, options, "FT (" + block.refs + ")");
    row[6] = row[7] = "-";  // its runs are not paired with this study's
    table.rows.push_back(row);
  }
  for (const auto& v : variants)
    if (v.method != "full") table.rows.push_back(variant_row(study, v, variants, columns, options, v.variant));
  return cat(markdown(table), "\n", study.runs.size(), " runs (`docs/results/", block.study, "/results.json`), ", study.item_ids.size(),
             " eval items each; mean ± sample std over seeds. Δ: ", study.primary_metric,
             " paired with the variant's LoRA (same seeds, same items), 95% percentile bootstrap over items × seeds (",
             options.resamples, " resamples, seed ", options.seed, "); \"better\" or \"worse\" only when the interval excludes 0.\n",
             tuning ? tuning_lines(*tuning, block.study) : "");
}

std::string analysis_block(const std::string& results_dir, const Block& block) {
  const auto points = read_analysis_csv((fs::path(results_dir) / block.study / "analysis" / "analysis.csv").string());
  return cat("Query matrix (q_proj), per checkpoint over every layer and seed:\n\n", checkpoint_table(checkpoint_summaries(points, "q_proj")),
             "\nPooled over checkpoints (second view):\n\n", summary_table(summarize(points)));
}

std::string render_block(const std::string& results_dir, const Block& block, const BootstrapOptions& options) {
  const auto folder = fs::path(results_dir) / block.study;
  const bool analysis = block.table == "analysis";
  if (!fs::exists(analysis ? folder / "analysis" / "analysis.csv" : folder / "results.json"))
    return cat("_Not run yet: no `docs/results/", block.study, analysis ? "/analysis/analysis.csv" : "/results.json",
               "`. `bash tools/run_results.sh recipes/results/", block.study, ".yaml` (or tools/gpu_results.sh), then `vltune results collect runs/results/",
               block.study, " --out docs/results/", block.study, "` and `vltune results render docs/results --doc docs/results.md`._\n");
  return analysis ? analysis_block(results_dir, block) : runs_block(results_dir, block, options);
}

}  // namespace

std::string render_results_doc(const std::string& doc, const std::string& doc_path, const std::string& results_dir,
                               const BootstrapOptions& bootstrap) {
  std::istringstream lines(doc);
  std::string out;
  std::optional<int64_t> open_line;
  int64_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const bool opens = line.rfind(kOpen, 0) == 0, closes = line == kClose;
    if (open_line && !closes) {
      if (opens) fail("[report] ", doc_path, ":", number, ": a results marker inside the block opened on line ", *open_line, "; expected ", kClose, " first");
      continue;  // the old generated text
    }
    out += line + "\n";
    if (closes && !open_line) fail("[report] ", doc_path, ":", number, ": ", kClose, " without an opening <!-- results:STUDY -->");
    if (closes) {
      open_line.reset();
    } else if (opens) {
      if (line.size() < std::string(kOpen).size() + 3 || line.compare(line.size() - 3, 3, "-->") != 0)
        fail("[report] ", doc_path, ":", number, ": a results marker must end with --> on its line");
      open_line = number;
      out += render_block(results_dir, read_marker(line, cat(doc_path, ":", number)), bootstrap);
    }
  }
  if (open_line) fail("[report] ", doc_path, ":", *open_line, ": the results block is not closed; expected ", kClose);
  return out;
}

}  // namespace vltune::analysis
