#include "analysis/compare_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/csv.h"
#include "analysis/markdown_table.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/svg_plot.h"

namespace fs = std::filesystem;

namespace vltune::analysis {

// One run as JSON (results.json's "runs", RUN/compare_run.json): every field, under its own name.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VariantRun, variant, method, placement, rank, seed, trainable_params, trainable_percent,
                                   peak_memory_mib, step_time_ms, tokens_per_s, metrics, loss_curve, run_dir, item_ids,
                                   item_scores)

namespace {

// The run as JSON, with its learning rate when it records one (records from before it was kept lack it).
nlohmann::json run_json(const VariantRun& run) {
  nlohmann::json json = run;
  if (run.lr > 0) json["lr"] = run.lr;
  return json;
}

}  // namespace

namespace {

std::string format(double value, const char* pattern = "%.4g") {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

// The mean with `pattern`; the std, when there is one, with two significant digits.
std::string mean_pm_std(const MeanStd& value, const char* pattern = "%.4g") {
  if (value.n == 0 || std::isnan(value.mean)) return "-";
  return value.n < 2 ? format(value.mean, pattern) : format(value.mean, pattern) + " ± " + format(value.std, "%.2g");
}

MeanStd over_runs(const std::vector<const VariantRun*>& runs, double VariantRun::*field) {
  std::vector<double> values;
  for (const auto* run : runs) values.push_back(run->*field);
  return mean_std(values);
}

// The metric names of all runs, the primary one first, then alphabetical.
std::vector<std::string> metric_names(const std::vector<VariantSummary>& variants, const std::string& primary_metric) {
  std::set<std::string> names;
  for (const auto& variant : variants)
    for (const auto& [name, value] : variant.metrics) names.insert(name);
  std::vector<std::string> ordered;
  if (names.count(primary_metric)) ordered.push_back(primary_metric);
  for (const auto& name : names)
    if (name != primary_metric) ordered.push_back(name);
  return ordered;
}

// A metric's name as the report's readers see it: `loss` and `perplexity` are the final evaluation's,
// `train_loss` the last training step's. results.csv and results.json keep the plain names.
std::string metric_label(const std::string& metric) {
  static const std::map<std::string, std::string> kLabels = {
      {"loss", "eval loss"}, {"perplexity", "eval perplexity"}, {"train_loss", "train loss (last step)"}};
  const auto found = kLabels.find(metric);
  return found == kLabels.end() ? metric : found->second;
}

Table results_table(const std::vector<VariantSummary>& variants, const std::string& primary_metric) {
  const auto metrics = metric_names(variants, primary_metric);
  Table table;
  table.headers = {"variant", "method", "placement", "rank", "seeds", "trainable params", "% of model",
                   "peak memory (MiB)", "step time (ms)", "tokens/s"};
  for (const auto& metric : metrics) table.headers.push_back(metric_label(metric));
  for (const auto& v : variants) {
    std::vector<std::string> row = {v.variant,
                                    v.method,
                                    v.placement,
                                    v.rank > 0 ? std::to_string(v.rank) : "-",
                                    std::to_string(v.seeds.size()),
                                    with_thousands(v.trainable_params),
                                    format(v.trainable_percent, "%.3g") + "%",
                                    mean_pm_std(v.peak_memory_mib, "%.1f"),
                                    mean_pm_std(v.step_time_ms, "%.1f"),
                                    mean_pm_std(v.tokens_per_s, "%.0f")};
    for (const auto& metric : metrics) {
      const auto found = v.metrics.find(metric);
      row.push_back(found == v.metrics.end() ? "-" : mean_pm_std(found->second));
    }
    table.rows.push_back(row);
  }
  return table;
}

std::string html_table(const Table& table) {
  std::string out = "<table id=\"results\">\n<thead><tr>";
  for (const auto& header : table.headers) out += "<th>" + svg::escape_xml(header) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) out += (i < 3 ? "<td class=\"text\">" : "<td>") + svg::escape_xml(row[i]) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

double metric_mean(const VariantSummary& variant, const std::string& metric) {
  const auto found = variant.metrics.find(metric);
  return found == variant.metrics.end() ? NAN : found->second.mean;
}

// Series keyed by method, or by "method (placement)" where one method comes in several placements.
std::string series_key(const VariantSummary& variant, const std::vector<VariantSummary>& all) {
  for (const auto& other : all)
    if (other.method == variant.method && other.placement != variant.placement) return variant.method + " (" + variant.placement + ")";
  return variant.method;
}

// One colour per series across every plot of the report: each variant gets the palette's next
// colour in the table's order, then each method line of the rank plot (series_key) that is not also
// a variant's name. A variant is the same colour in the parameter plot and the loss curves.
using Colours = std::map<std::string, std::string>;
Colours series_colours(const std::vector<VariantSummary>& variants) {
  Colours colours;
  for (const auto& variant : variants) colours.emplace(variant.variant, svg::palette_colour(colours.size()));
  for (const auto& variant : variants) colours.emplace(series_key(variant, variants), svg::palette_colour(colours.size()));
  return colours;
}

svg::Chart chart_with(const std::string& title, const svg::Axis& x, const svg::Axis& y) {
  svg::Chart chart;
  chart.title = title;
  chart.x = x;
  chart.y = y;
  return chart;
}

svg::Series& series_named(svg::Chart& chart, const std::string& name, const Colours& colours) {
  for (auto& series : chart.series)
    if (series.name == name) return series;
  auto& series = chart.series.emplace_back();
  series.name = name;
  series.colour = colours.at(name);
  return series;
}

std::string metric_vs_params_plot(const std::vector<VariantSummary>& variants, const std::string& metric, const Colours& colours) {
  const auto label = metric_label(metric);
  auto chart = chart_with(label + " against trainable parameters", {"trainable parameters", true}, {label + " (mean over seeds)", false});
  for (const auto& variant : variants) {
    auto& series = series_named(chart, variant.variant, colours);
    series.x.push_back(static_cast<double>(variant.trainable_params));
    series.y.push_back(metric_mean(variant, metric));
    series.point_labels.push_back(variant.method);
  }
  return svg::render(chart);
}

std::string loss_curve_plot(const std::vector<VariantSummary>& variants, const Colours& colours) {
  auto chart = chart_with("Training loss (mean over seeds)", {"step", false}, {"train loss", false});
  for (const auto& variant : variants) {
    if (variant.loss_curve.empty()) continue;
    svg::Series series;
    series.name = variant.variant;
    series.colour = colours.at(variant.variant);
    series.lines = true;
    series.markers = variant.loss_curve.size() == 1;
    for (const auto& [step, loss] : variant.loss_curve) {
      series.x.push_back(static_cast<double>(step));
      series.y.push_back(loss);
    }
    chart.series.push_back(series);
  }
  return svg::render(chart);
}

std::string metric_vs_rank_plot(const std::vector<VariantSummary>& variants, const std::string& metric, const Colours& colours) {
  const auto label = metric_label(metric);
  auto chart = chart_with(label + " against rank", {"rank", true}, {label + " (mean over seeds)", false});
  std::vector<const VariantSummary*> ranked;
  for (const auto& variant : variants)
    if (variant.rank > 0) ranked.push_back(&variant);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto* a, const auto* b) { return a->rank < b->rank; });
  for (const auto* variant : ranked) {
    if (chart.x.ticks.empty() || chart.x.ticks.back() != variant->rank) chart.x.ticks.push_back(static_cast<double>(variant->rank));
    auto& series = series_named(chart, series_key(*variant, variants), colours);
    series.lines = true;
    series.x.push_back(static_cast<double>(variant->rank));
    series.y.push_back(metric_mean(*variant, metric));
  }
  return svg::render(chart);
}

nlohmann::json stat_json(const MeanStd& value) { return {{"mean", value.mean}, {"std", value.std}, {"n", value.n}}; }

nlohmann::json results_json(const std::vector<VariantRun>& runs, const std::vector<VariantSummary>& variants,
                            const std::string& title, const std::string& primary_metric) {
  nlohmann::json out = {{"title", title}, {"primary_metric", primary_metric}, {"runs", nlohmann::json::array()},
                        {"variants", nlohmann::json::array()}};
  for (const auto& r : runs) out["runs"].push_back(run_json(r));
  for (const auto& v : variants) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [name, value] : v.metrics) metrics[name] = stat_json(value);
    out["variants"].push_back({{"variant", v.variant}, {"method", v.method}, {"placement", v.placement}, {"rank", v.rank},
                               {"seeds", v.seeds}, {"trainable_params", v.trainable_params},
                               {"trainable_percent", v.trainable_percent}, {"peak_memory_mib", stat_json(v.peak_memory_mib)},
                               {"step_time_ms", stat_json(v.step_time_ms)}, {"tokens_per_s", stat_json(v.tokens_per_s)},
                               {"metrics", metrics}, {"loss_curve", v.loss_curve}});
  }
  return out;
}

std::string results_csv(const std::vector<VariantRun>& runs, const std::vector<std::string>& metrics, bool run_dirs) {
  std::vector<std::string> header = {"variant", "method", "placement", "rank", "seed", "trainable_params", "trainable_percent",
                                     "peak_memory_mib", "step_time_ms", "tokens_per_s"};
  header.insert(header.end(), metrics.begin(), metrics.end());
  if (run_dirs) header.push_back("run_dir");
  std::string csv = csv_row(header);
  for (const auto& r : runs) {
    std::vector<std::string> row = {r.variant, r.method, r.placement, std::to_string(r.rank), std::to_string(r.seed),
                                    std::to_string(r.trainable_params), csv_number(r.trainable_percent),
                                    csv_number(r.peak_memory_mib), csv_number(r.step_time_ms), csv_number(r.tokens_per_s)};
    for (const auto& metric : metrics) {
      const auto found = r.metrics.find(metric);
      row.push_back(found == r.metrics.end() ? "" : csv_number(found->second));
    }
    if (run_dirs) row.push_back(r.run_dir);
    csv += csv_row(row);
  }
  return csv;
}

const char* const kStyle =
    "body{font-family:sans-serif;color:#222;max-width:1200px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "th{background:#f2f2f2}td{white-space:nowrap}td.text{text-align:left}figure{margin:1.5em 0}figcaption{color:#555;font-size:13px}"
    "svg{max-width:100%;height:auto}code{background:#f4f4f4;padding:0 3px}";

struct Plot {
  std::string id, file, caption, svg;
};

}  // namespace

std::vector<VariantSummary> summarize_variants(const std::vector<VariantRun>& runs) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const VariantRun*>> groups;
  for (const auto& run : runs) {
    if (!groups.count(run.variant)) order.push_back(run.variant);
    groups[run.variant].push_back(&run);
  }
  std::vector<VariantSummary> summaries;
  for (const auto& name : order) {
    const auto& group = groups[name];
    const auto& first = *group.front();
    VariantSummary s;
    s.variant = name;
    s.method = first.method;
    s.placement = first.placement;
    s.rank = first.rank;
    std::map<std::string, std::vector<double>> metric_values;
    std::map<int64_t, std::vector<double>> losses;
    for (const auto* run : group) {
      if (run->method != first.method || run->placement != first.placement || run->rank != first.rank ||
          run->trainable_params != first.trainable_params)
        fail("[report] variant '", name, "': its runs differ in method, placement, rank or trainable parameters (",
             first.method, "/", first.placement, "/r", first.rank, "/", first.trainable_params, " vs ", run->method, "/",
             run->placement, "/r", run->rank, "/", run->trainable_params, "); expected seeds of one setting");
      if (std::count(s.seeds.begin(), s.seeds.end(), run->seed))
        fail("[report] variant '", name, "': seed ", run->seed, " appears twice; expected one run per seed");
      s.seeds.push_back(run->seed);
      for (const auto& [metric, value] : run->metrics) metric_values[metric].push_back(value);
      for (const auto& [step, loss] : run->loss_curve) losses[step].push_back(loss);
    }
    s.trainable_params = first.trainable_params;
    s.trainable_percent = first.trainable_percent;
    s.peak_memory_mib = over_runs(group, &VariantRun::peak_memory_mib);
    s.step_time_ms = over_runs(group, &VariantRun::step_time_ms);
    s.tokens_per_s = over_runs(group, &VariantRun::tokens_per_s);
    for (const auto& [metric, values] : metric_values) s.metrics[metric] = mean_std(values);
    for (const auto& [step, values] : losses) s.loss_curve.emplace_back(step, mean_std(values).mean);
    summaries.push_back(std::move(s));
  }
  return summaries;
}

std::string compare_table(const std::vector<VariantSummary>& variants, const std::string& primary_metric) {
  return markdown(results_table(variants, primary_metric));
}

void write_compare_report(const std::string& out_dir, const std::vector<VariantRun>& runs, const std::string& title,
                          const std::string& primary_metric) {
  if (runs.empty()) fail("[report] ", out_dir, ": no runs to report; expected at least one");
  const auto variants = summarize_variants(runs);
  const auto metrics = metric_names(variants, primary_metric);
  if (metrics.empty() || metrics.front() != primary_metric) {
    std::string have;
    for (const auto& metric : metrics) have += (have.empty() ? "" : ", ") + metric;
    fail("[report] ", out_dir, ": no run has the primary metric '", primary_metric, "'; the runs have: ",
         have.empty() ? "no metrics" : have);
  }
  fs::create_directories(out_dir);
  const auto path = [&](const std::string& name) { return (fs::path(out_dir) / name).string(); };
  const Table table = results_table(variants, primary_metric);
  const auto colours = series_colours(variants);
  const auto label = metric_label(primary_metric);
  std::vector<Plot> plots = {
      {"metric-vs-params", "metric_vs_params.svg",
       label + " (mean over seeds) against trainable parameters, log scale; one colour per variant, the same in every plot.",
       metric_vs_params_plot(variants, primary_metric, colours)},
      {"loss-curves", "loss_curves.svg", "Training loss per variant, the mean over seeds at each logged step.",
       loss_curve_plot(variants, colours)},
  };
  // A rank plot only where ranks differ: with one rank it is a column of points that says nothing.
  std::set<int64_t> ranks;
  for (const auto& v : variants)
    if (v.rank > 0) ranks.insert(v.rank);
  if (ranks.size() >= 2)
    plots.push_back({"metric-vs-rank", "metric_vs_rank.svg",
                     label + " against rank (log scale) per method; methods without a rank (full) are not shown.",
                     metric_vs_rank_plot(variants, primary_metric, colours)});
  else
    fs::remove(path("metric_vs_rank.svg"));  // an earlier report's, in the same folder
  for (const auto& plot : plots) write_file_atomically(path(plot.file), plot.svg);
  write_file_atomically(path("results.csv"), results_csv(runs, metrics, true));
  write_file_atomically(path("results.json"), results_json(runs, variants, title, primary_metric).dump(1) + "\n");

  const auto summary_line = cat(runs.size(), " runs, ", variants.size(), " variants; primary metric ", label,
                                "; numbers are mean ± sample standard deviation over seeds.");
  std::string md = cat("# ", title, "\n\n", summary_line, "\n\n", markdown(table), "\n");
  for (const auto& plot : plots) md += cat("![", plot.caption, "](", plot.file, ")\n\n");
  md += "Runs:\n\n";
  const auto report_dir = fs::absolute(out_dir).lexically_normal();
  for (const auto& run : runs)  // relative to the report, so the folder can move as a whole
    md += cat("- ", run.variant, " seed ", run.seed, ": `",
              fs::absolute(run.run_dir).lexically_normal().lexically_relative(report_dir).string(), "`\n");
  write_file_atomically(path("report.md"), md);

  std::string html = cat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", svg::escape_xml(title),
                         "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<h1>", svg::escape_xml(title), "</h1>\n<p>",
                         svg::escape_xml(summary_line), "</p>\n", html_table(table), "<h2>Plots</h2>\n");
  for (const auto& plot : plots)
    html += cat("<figure id=\"", plot.id, "\">\n", plot.svg, "<figcaption>", svg::escape_xml(plot.caption), "</figcaption>\n</figure>\n");
  html += "<h2>Runs</h2>\n<ul>\n";
  for (const auto& run : runs)
    html += cat("<li>", svg::escape_xml(run.variant), " seed ", run.seed, ": <code>", svg::escape_xml(run.run_dir), "</code></li>\n");
  html += "</ul>\n</body>\n</html>\n";
  write_file_atomically(path("report.html"), html);
}

std::string runs_csv(const std::vector<VariantRun>& runs, const std::string& primary_metric, bool run_dirs) {
  return results_csv(runs, metric_names(summarize_variants(runs), primary_metric), run_dirs);
}

std::string variant_run_json(const VariantRun& run) { return run_json(run).dump(1) + "\n"; }

VariantRun variant_run_from_json(const std::string& text, const std::string& where) {
  try {
    const auto json = nlohmann::json::parse(text);
    auto run = json.get<VariantRun>();
    if (json.contains("lr")) {
      run.lr = json.at("lr").get<double>();
      if (!std::isfinite(run.lr) || run.lr <= 0) fail("[compare] ", where, ": 'lr' must be a positive number, found ", json.at("lr").dump());
    }
    return run;
  } catch (const nlohmann::json::exception& e) {
    fail("[compare] ", where, ": not a finished run's record (", e.what(), ")");
  }
}

}  // namespace vltune::analysis
