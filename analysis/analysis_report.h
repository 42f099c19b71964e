// `vltune analyze`'s writing side: the points analysis/run_analysis.h measures, as files in OUT.
//   analysis.csv           run, method, step, module, layer, delta_m, delta_d, update_norm,
//                          angle_deg (one row per point: the raw data of every number below)
//   analysis-<method>.svg  ΔM against ΔD (x: ΔD, y: ΔM, as in the paper's Figure 2), one colour
//                          per module, with the least-squares line ΔM = a + b·ΔD over the method's points
//   analysis.md            first the paper's view: the query matrix (q_proj) per method and
//                          checkpoint, over its layers (and runs): Pearson r of ΔD and ΔM, the partial
//                          r given ‖ΔW‖ with the r of each with ‖ΔW‖, the mean row angle; then the pooled view per method (all
//                          modules and checkpoints, then each module): points, slope b, Pearson r
#pragma once
#include <string>
#include <vector>

#include "analysis/analysis_point.h"
#include "analysis/statistics.h"

namespace vltune::analysis {

struct MethodSummary {
  std::string method;
  std::string module;  // "all" or a leaf name
  LinearFit fit;       // x = ΔD, y = ΔM
};

// Per method in order of first appearance: the "all" row, then one per module.
std::vector<MethodSummary> summarize(const std::vector<AnalysisPoint>& points);

// The summary as a Markdown table.
std::string summary_table(const std::vector<MethodSummary>& summaries);

// One checkpoint of one method, over the points of one module (every layer of every run).
struct CheckpointSummary {
  std::string method, module;
  int64_t step = 0, points = 0;
  double pearson_r = 0;         // of ΔD and ΔM
  double partial_r = 0;         // the same, given ‖ΔW‖ (statistics.h)
  double mean_angle_deg = 0, mean_update_norm = 0;
  double r_d_norm = 0, r_m_norm = 0;  // Pearson r of ΔD and of ΔM with ‖ΔW‖: what partial_r removes
};

// Per method in order of first appearance, per step in ascending order, the points of `module`.
std::vector<CheckpointSummary> checkpoint_summaries(const std::vector<AnalysisPoint>& points, const std::string& module);

// The summaries as a Markdown table: method, step, points, r, partial r, r of ΔD and of ΔM with
// ‖ΔW‖, mean angle, mean ‖ΔW‖.
std::string checkpoint_table(const std::vector<CheckpointSummary>& summaries);

// analysis.csv as write_analysis writes it. Throws ([analyze]) naming the file and line when the
// header or a row is not that.
std::vector<AnalysisPoint> read_analysis_csv(const std::string& path);

// Writes the files above into `out_dir` (created if needed), each atomically.
void write_analysis(const std::string& out_dir, const std::vector<AnalysisPoint>& points);

}  // namespace vltune::analysis
