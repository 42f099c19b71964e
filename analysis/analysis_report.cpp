#include "analysis/analysis_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <map>
#include <set>

#include "analysis/csv.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
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

const std::vector<std::string> kCsvHeader = {"run", "method", "step", "module", "layer", "delta_m", "delta_d", "update_norm", "angle_deg"};

double number_field(const std::string& text, const std::string& where, const std::string& column) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !std::isfinite(value))
    fail("[analyze] ", where, ": ", column, " '", text, "' is not a finite number");
  return value;
}

AnalysisPoint point_of(const std::vector<std::string>& f, const std::string& where) {
  if (f.size() != kCsvHeader.size()) fail("[analyze] ", where, ": ", f.size(), " fields; expected ", kCsvHeader.size());
  const auto integer = [&](std::size_t i) {
    const double value = number_field(f[i], where, kCsvHeader[i]);
    if (value != std::floor(value) || value < 0 || value > 1e15) fail("[analyze] ", where, ": ", kCsvHeader[i], " '", f[i], "' is not a step or layer number");
    return static_cast<int64_t>(value);
  };
  return {f[0], f[1], integer(2), f[3], integer(4), number_field(f[5], where, "delta_m"), number_field(f[6], where, "delta_d"),
          number_field(f[7], where, "update_norm"), number_field(f[8], where, "angle_deg")};
}

}  // namespace

std::vector<CheckpointSummary> checkpoint_summaries(const std::vector<AnalysisPoint>& points, const std::string& module) {
  std::vector<CheckpointSummary> summaries;
  for (const auto& method : in_order(points, &AnalysisPoint::method)) {
    std::map<int64_t, std::vector<const AnalysisPoint*>> by_step;
    for (const auto& point : points)
      if (point.method == method && point.module == module) by_step[point.step].push_back(&point);
    for (const auto& [step, group] : by_step) {
      std::vector<double> d, m, norm;
      double angle = 0;
      for (const auto* point : group) {
        d.push_back(point->delta_d);
        m.push_back(point->delta_m);
        norm.push_back(point->update_norm);
        angle += point->angle_deg / static_cast<double>(group.size());
      }
      const double r_dm = fit_line(d, m).pearson_r, r_dn = fit_line(d, norm).pearson_r, r_mn = fit_line(m, norm).pearson_r;
      summaries.push_back({method, module, step, static_cast<int64_t>(group.size()), r_dm, partial_correlation(r_dm, r_dn, r_mn),
                           angle, mean_std(norm).mean, r_dn, r_mn});
    }
  }
  return summaries;
}

std::string checkpoint_table(const std::vector<CheckpointSummary>& summaries) {
  std::string table =
      "| method | step | points | r(ΔD, ΔM) | partial r given ‖ΔW‖ | r(ΔD, ‖ΔW‖) | r(ΔM, ‖ΔW‖) | mean angle (°) | mean ‖ΔW‖ |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& s : summaries)
    table += cat("| ", s.method, " | ", s.step, " | ", s.points, " | ", format(s.pearson_r, "%+.3f"), " | ", format(s.partial_r, "%+.3f"),
                 " | ", format(s.r_d_norm, "%+.3f"), " | ", format(s.r_m_norm, "%+.3f"), " | ", format(s.mean_angle_deg, "%.2f"), " | ",
                 format(s.mean_update_norm, "%.3g"), " |\n");
  return table;
}

std::vector<AnalysisPoint> read_analysis_csv(const std::string& path) {
  std::istringstream in(read_file_limited(path, kMaxDataFileBytes, "[analyze]"));
  std::vector<AnalysisPoint> points;
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    const auto where = cat(path, ":", ++number);
    const auto fields = csv_fields(line, where);
    if (number == 1) {
      if (fields != kCsvHeader) fail("[analyze] ", where, ": the header is not that of analysis.csv (run, method, step, ..., angle_deg)");
      continue;
    }
    if (!line.empty()) points.push_back(point_of(fields, where));
  }
  if (points.empty()) fail("[analyze] ", path, ": no points; expected one row per run, checkpoint, module and layer");
  return points;
}

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
  std::string csv = csv_row(kCsvHeader);
  for (const auto& p : points)
    csv += csv_row({p.run, p.method, std::to_string(p.step), p.module, std::to_string(p.layer), csv_number(p.delta_m),
                    csv_number(p.delta_d), csv_number(p.update_norm), csv_number(p.angle_deg)});
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
      "## The query matrix per checkpoint\n\n"
      "q_proj only, as in the paper: per method and checkpoint, over every layer of every run. The partial r removes what "
      "ΔD and ΔM share through the size of the update ‖ΔW‖_F; the mean angle (degrees) says how far the rows turned, "
      "i.e. whether the updates are small.\n\n",
      checkpoint_table(checkpoint_summaries(points, "q_proj")), "\n## Pooled over checkpoints (a second view)\n\n",
      summary_table(summaries), "\n", plots);
  write_file_atomically((fs::path(out_dir) / "analysis.md").string(), markdown);
}

}  // namespace vltune::analysis
