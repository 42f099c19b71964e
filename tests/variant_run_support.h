// A run record for report and results-doc tests (tests/test_compare_report.cpp,
// tests/test_results_doc.cpp): the identity every such test sets the same way, each test then
// adding its own metrics, item scores and timings.
#pragma once
#include <cstdint>
#include <string>

#include "analysis/compare_report.h"

namespace vltune::test {

// VARIANT's run with SEED: METHOD at RANK on the attention, in RUNS_ROOT/VARIANT-seedSEED.
inline analysis::VariantRun variant_run(const std::string& variant, const std::string& method, int64_t rank, uint64_t seed,
                                        const std::string& runs_root = "runs") {
  analysis::VariantRun run;
  run.variant = variant;
  run.method = method;
  run.placement = "attention_only";
  run.rank = rank;
  run.seed = seed;
  run.run_dir = runs_root + "/" + variant + "-seed" + std::to_string(seed);
  return run;
}

}  // namespace vltune::test
