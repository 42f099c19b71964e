// The fuzz target's body for a results study's committed files (docs/results/<study>/, read by
// `vltune results render`): tuning.json, which may list diverged candidates, and results.json with
// every run's item scores. Shared, like fuzz/targets.h, by the libFuzzer entry point and by
// tests/test_fuzz_regressions.cpp. A vltune::Error is the expected way to refuse an input.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "analysis/results_doc.h"
#include "fuzz/targets.h"

namespace vltune::fuzz {

// The input is tuning.json, then a line "#results.json", then results.json (without that line the
// study has no results.json and renders as not run yet). Both go into a study folder, and its doc
// block is rendered with 50 bootstrap resamples (the doc's 2000 add time, not paths). Throws as
// `vltune results render` does.
inline std::string render_study_files(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kResultsLine = "\n#results.json\n";
  const auto marker = input.find(kResultsLine);
  const auto dir = scratch() / "results" / "study";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto tuning = input.substr(0, marker);
  write_bytes(dir / "tuning.json", reinterpret_cast<const uint8_t*>(tuning.data()), tuning.size());
  if (marker != std::string_view::npos) {
    const auto results = input.substr(marker + kResultsLine.size());
    write_bytes(dir / "results.json", reinterpret_cast<const uint8_t*>(results.data()), results.size());
  }
  analysis::BootstrapOptions bootstrap;
  bootstrap.resamples = 50;
  return analysis::render_results_doc("<!-- results:study -->\n<!-- /results -->\n", "fuzz.md", (scratch() / "results").string(), bootstrap);
}

inline void study_files_input(const uint8_t* data, std::size_t size) {
  refused_is_fine([&] { (void)render_study_files(data, size); });
}

}  // namespace vltune::fuzz
