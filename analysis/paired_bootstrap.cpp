#include "analysis/paired_bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"

namespace vltune::analysis {

namespace {

// A uniform integer in [0, n), by rejection: the same on every standard library.
uint64_t draw_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  for (;;)
    if (const uint64_t value = rng(); value < limit) return value % n;
}

void check_differences(const std::vector<std::vector<double>>& differences, const BootstrapOptions& options) {
  if (differences.empty() || differences.front().empty())
    fail("[analyze] paired bootstrap: ", differences.size(), " seeds of ", differences.empty() ? 0 : differences.front().size(),
         " items; expected at least one seed and one item");
  for (std::size_t s = 0; s < differences.size(); ++s) {
    if (differences[s].size() != differences.front().size())
      fail("[analyze] paired bootstrap: seed ", s, " has ", differences[s].size(), " items but seed 0 has ",
           differences.front().size(), "; expected the same items for every seed");
    for (std::size_t i = 0; i < differences[s].size(); ++i)
      if (!std::isfinite(differences[s][i]))
        fail("[analyze] paired bootstrap: the difference of seed ", s, ", item ", i, " is not finite; expected numbers");
  }
  if (options.resamples < 1 || options.resamples > 1000000)
    fail("[analyze] paired bootstrap: ", options.resamples, " resamples; expected 1 to 1000000");
  if (!(options.confidence > 0 && options.confidence < 1))
    fail("[analyze] paired bootstrap: confidence ", options.confidence, "; expected a number between 0 and 1");
}

// The percentile p (0..1) of sorted values, by linear interpolation between order statistics.
double percentile(const std::vector<double>& sorted, double p) {
  const double at = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const auto above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

}  // namespace

std::string verdict_of(double low, double high) {
  if (low > 0) return "better";
  if (high < 0) return "worse";
  return "tie";
}

PairedDifference paired_bootstrap(const std::vector<std::vector<double>>& differences, const BootstrapOptions& options) {
  check_differences(differences, options);
  const std::size_t seeds = differences.size(), items = differences.front().size();
  PairedDifference result;
  result.seeds = static_cast<int64_t>(seeds);
  result.items = static_cast<int64_t>(items);
  for (const auto& row : differences)
    for (double d : row) result.mean += d;
  result.mean /= static_cast<double>(seeds * items);

  std::mt19937_64 rng(options.seed);
  std::vector<double> means;
  means.reserve(static_cast<std::size_t>(options.resamples));
  std::vector<double> item_weight(items);
  for (int64_t r = 0; r < options.resamples; ++r) {
    std::fill(item_weight.begin(), item_weight.end(), 0.0);
    for (std::size_t i = 0; i < items; ++i) item_weight[draw_below(rng, items)] += 1;
    double sum = 0;
    for (std::size_t s = 0; s < seeds; ++s) {
      const auto& row = differences[draw_below(rng, seeds)];
      for (std::size_t i = 0; i < items; ++i) sum += item_weight[i] * row[i];
    }
    means.push_back(sum / static_cast<double>(seeds * items));
  }
  std::sort(means.begin(), means.end());
  const double tail = (1 - options.confidence) / 2;
  result.low = percentile(means, tail);
  result.high = percentile(means, 1 - tail);
  result.verdict = verdict_of(result.low, result.high);
  return result;
}

}  // namespace vltune::analysis
