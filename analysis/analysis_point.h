// One measured point of `vltune analyze`: a module's magnitude and direction change (ΔM, ΔD) at
// one checkpoint of one run. analysis/run_analysis.h measures them (LibTorch);
// analysis/analysis_report.h writes them (plain).
#pragma once
#include <cstdint>
#include <string>

namespace vltune::analysis {

struct AnalysisPoint {
  std::string run;     // the run folder's name
  std::string method;  // the module's adapter method: full, lora, dora, ...
  int64_t step = 0;    // the checkpoint's optimizer step
  std::string module;  // leaf name: q_proj
  int64_t layer = 0;
  double delta_m = 0, delta_d = 0;
  double update_norm = 0;  // ‖W − W0‖_F of the merged update
  double angle_deg = 0;    // the mean angle its rows turned, degrees
};

}  // namespace vltune::analysis
