// Paired differences between two fine-tuning settings, and whether they decide anything.
//
// Both settings were run with the same seeds and scored on the same eval items, so for seed s and
// item i the difference d[s][i] = score_A(s, i) − score_B(s, i) removes what the seed and the item
// share. The estimate is the mean of d over seeds × items. Its 95% interval is a percentile
// bootstrap over both: each resample draws the seeds with replacement and, independently, the items
// with replacement, and takes the mean of d over the drawn seeds × drawn items (a seed or item drawn
// twice counts twice). The interval is the 2.5th and 97.5th percentiles of the resampled means.
//
// The verdict is "better" when the whole interval is above 0, "worse" when it is below, and "tie"
// otherwise (an interval that touches 0 included): a method is called better only when the interval
// excludes 0.
//
// The draws come from std::mt19937_64 (its output is fixed by the C++ standard) and a bounded draw
// of our own (std::uniform_int_distribution differs between standard libraries), so a seed gives
// the same interval on every machine: the committed docs can be regenerated to the digit.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vltune::analysis {

struct BootstrapOptions {
  int64_t resamples = 2000;
  uint64_t seed = 20261202;
  double confidence = 0.95;
};

struct PairedDifference {
  double mean = 0;            // mean of d over seeds × items
  double low = 0, high = 0;   // the bootstrap interval
  int64_t seeds = 0, items = 0;
  std::string verdict;        // "better", "worse" or "tie"
};

// `differences[s][i]`: seed s, item i; every seed has the same items, in the same order. Throws
// ([analyze]) when there is no seed or no item, the rows differ in length, a value is not finite,
// or the options are out of range (resamples 1 to 10^6, confidence in (0, 1)).
PairedDifference paired_bootstrap(const std::vector<std::vector<double>>& differences, const BootstrapOptions& options = {});

// "better" / "worse" / "tie" for an interval [low, high], as above.
std::string verdict_of(double low, double high);

}  // namespace vltune::analysis
