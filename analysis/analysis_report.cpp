#include "analysis/analysis_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "analysis/csv.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/svg_plot.h"

namespace fs = std::filesystem;

namespace vltune::analysis {

namespace {

std::string format(double value, const char* pattern = "%.4g") {
  if (std::isnan(value)) return "n/a";
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

std::vector<std::string> in_order(const std::vector<AnalysisPoint>& points, std::string AnalysisPoint::*field) {
  std::vector<std::string> seen;
  for (const auto& point : points)
    if (std::find(seen.begin(), seen.end(), point.*field) == seen.end()) seen.push_back(point.*field);
  return seen;
}

LinearFit fit_of(const std::vector<AnalysisPoint>& points, const std::string& method, const std::string& module) {
  std::vector<double> x, y;
  for (const auto& point : points)
    if (point.method == method && (module == "all" || point.module == module)) {
      x.push_back(point.delta_d);
      y.push_back(point.delta_m);
    }
  return fit_line(x, y);
}

std::string scatter_of(const std::vector<AnalysisPoint>& points, const MethodSummary& overall) {
  svg::Chart chart;
  chart.title = "Magnitude vs direction change: " + overall.method;
  chart.x.label = "ΔD  (mean 1 − cos(W, W0) over rows)";
  chart.y.label = "ΔM  (mean |‖W_n‖ − ‖W0_n‖|)";
  for (const auto& module : in_order(points, &AnalysisPoint::module)) {
    svg::Series series;
    series.name = module;
    for (const auto& point : points)
      if (point.method == overall.method && point.module == module) {
        series.x.push_back(point.delta_d);
        series.y.push_back(point.delta_m);
      }
    if (!series.x.empty()) chart.series.push_back(series);
  }
  if (std::isfinite(overall.fit.slope))
    chart.fits.push_back({"fit: slope " + format(overall.fit.slope, "%.3g") + ", r " + format(overall.fit.pearson_r, "%.2f"),
                          overall.fit.slope, overall.fit.intercept});
  return svg::render(chart);
}

}  // namespace

std::vector<MethodSummary> summarize(const std::vector<AnalysisPoint>& points) {
  std::vector<MethodSummary> summaries;
  for (const auto& method : in_order(points, &AnalysisPoint::method)) {
    summaries.push_back({method, "all", fit_of(points, method, "all")});
    std::set<std::string> modules;
    for (const auto& point : points)
      if (point.method == method) modules.insert(point.module);
    for (const auto& module : modules) summaries.push_back({method, module, fit_of(points, method, module)});
  }
  return summaries;
}

std::string summary_table(const std::vector<MethodSummary>& summaries) {
  std::string table = "| method | modules | points | slope dΔM/dΔD | Pearson r |\n|---|---|---:|---:|---:|\n";
  for (const auto& s : summaries)
    table += cat("| ", s.method, " | ", s.module, " | ", s.fit.n, " | ", format(s.fit.slope), " | ", format(s.fit.pearson_r, "%.3f"), " |\n");
  return table;
}

void write_analysis(const std::string& out_dir, const std::vector<AnalysisPoint>& points) {
  if (points.empty()) fail("[analyze] no points to write to ", out_dir, "; expected at least one adapted module at one checkpoint");
  fs::create_directories(out_dir);
  std::string csv = csv_row({"run", "method", "step", "module", "layer", "delta_m", "delta_d"});
  for (const auto& p : points)
    csv += csv_row({p.run, p.method, std::to_string(p.step), p.module, std::to_string(p.layer), csv_number(p.delta_m), csv_number(p.delta_d)});
  write_file_atomically((fs::path(out_dir) / "analysis.csv").string(), csv);

  const auto summaries = summarize(points);
  std::string plots;
  for (const auto& summary : summaries) {
    if (summary.module != "all") continue;
    const auto file = "analysis-" + summary.method + ".svg";
    write_file_atomically((fs::path(out_dir) / file).string(), scatter_of(points, summary));
    plots += cat("![", summary.method, "](", file, ")\n");
  }
  const auto runs = in_order(points, &AnalysisPoint::run);
  std::string run_list;
  for (const auto& run : runs) run_list += (run_list.empty() ? "" : ", ") + run;
  const std::string markdown = cat(
      "# Weight-decomposition analysis\n\n",
      "The DoRA paper's §3 measures at each checkpoint, per adapted module, over the output rows n of the merged weight W "
      "and the base weight W0:\n\n",
      "- ΔM = mean_n |‖W_n‖ − ‖W0_n‖| (magnitude change)\n",
      "- ΔD = mean_n (1 − cos(W_n, W0_n)) (direction change)\n\n",
      "Runs: ", run_list, " (", points.size(), " points in analysis.csv). The slope is that of the least-squares line "
      "ΔM = a + b·ΔD; r is the Pearson correlation of ΔD and ΔM over the method's points (every layer and checkpoint). "
      "The paper reports a negative correlation for full fine-tuning and DoRA (−0.62 and −0.31) and a positive one for "
      "LoRA (+0.83); `full` is vltune's name for full fine-tuning.\n\n",
      summary_table(summaries), "\n", plots);
  write_file_atomically((fs::path(out_dir) / "analysis.md").string(), markdown);
}

}  // namespace vltune::analysis
