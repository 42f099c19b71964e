// `vltune analyze`'s writing side: the points analysis/run_analysis.h measures, as files in OUT.
//   analysis.csv           run, method, step, module, layer, delta_m, delta_d (one row per point)
//   analysis-<method>.svg  ΔM against ΔD (x: ΔD, y: ΔM, as in the paper's Figure 2), one colour
//                          per module, with the least-squares line ΔM = a + b·ΔD over the method's points
//   analysis.md            per method (all modules, then each module): points, slope b, Pearson r
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

// Writes the files above into `out_dir` (created if needed), each atomically.
void write_analysis(const std::string& out_dir, const std::vector<AnalysisPoint>& points);

}  // namespace vltune::analysis
