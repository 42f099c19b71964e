// The paired bootstrap that decides "better", "worse" or "tie" in docs/results.md
// (analysis/paired_bootstrap.h): hand-computable cases, determinism, and its coverage on a
// synthetic population whose true difference is known.
#include <cmath>
#include <random>

#include "analysis/paired_bootstrap.h"
#include "test_support.h"

namespace vltune {
namespace {

using analysis::BootstrapOptions;
using analysis::paired_bootstrap;

TEST(PairedBootstrap, IdenticalRunsGiveZeroAndATie) {
  const std::vector<std::vector<double>> zero(5, std::vector<double>(300, 0.0));
  const auto result = paired_bootstrap(zero);
  EXPECT_EQ(result.mean, 0.0);
  EXPECT_EQ(result.low, 0.0);
  EXPECT_EQ(result.high, 0.0);
  EXPECT_EQ(result.verdict, "tie");
  EXPECT_EQ(result.seeds, 5);
  EXPECT_EQ(result.items, 300);
}

TEST(PairedBootstrap, AConstantShiftIsThatShiftWithNoSpread) {
  for (const double shift : {0.125, -0.25}) {
    const std::vector<std::vector<double>> shifted(3, std::vector<double>(50, shift));
    const auto result = paired_bootstrap(shifted);
    EXPECT_NEAR(result.mean, shift, 1e-15);
    EXPECT_NEAR(result.low, shift, 1e-15);
    EXPECT_NEAR(result.high, shift, 1e-15);
    EXPECT_EQ(result.verdict, shift > 0 ? "better" : "worse");
  }
}

// One seed, two items with differences 0 and 1: a resample's mean is 0, 0.5 or 1 with chances
// 1/4, 1/2, 1/4, so the 2.5th percentile is 0, the 97.5th is 1, and the verdict is a tie.
TEST(PairedBootstrap, TwoItemsGiveTheWholeRangeByHand) {
  BootstrapOptions options;
  options.resamples = 20000;
  const auto result = paired_bootstrap({{0.0, 1.0}}, options);
  EXPECT_EQ(result.mean, 0.5);
  EXPECT_EQ(result.low, 0.0);
  EXPECT_EQ(result.high, 1.0);
  EXPECT_EQ(result.verdict, "tie");
}

// Seeds are resampled too: two seeds whose every item differs by 0 and by 1 give the same three
// outcomes as above, now from the seeds.
TEST(PairedBootstrap, SeedsAreResampledAsWellAsItems) {
  BootstrapOptions options;
  options.resamples = 20000;
  const auto result = paired_bootstrap({std::vector<double>(40, 0.0), std::vector<double>(40, 1.0)}, options);
  EXPECT_EQ(result.mean, 0.5);
  EXPECT_EQ(result.low, 0.0);
  EXPECT_EQ(result.high, 1.0);
  EXPECT_EQ(result.verdict, "tie");
}

TEST(PairedBootstrap, AFixedSeedGivesTheSameIntervalEveryTime) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.02, 0.3);
  std::vector<std::vector<double>> d(5, std::vector<double>(400));
  for (auto& row : d)
    for (auto& value : row) value = noise(rng);
  const auto a = paired_bootstrap(d), b = paired_bootstrap(d);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_LT(a.low, a.mean);
  EXPECT_GT(a.high, a.mean);
  BootstrapOptions other;
  other.seed = 1;
  EXPECT_NE(paired_bootstrap(d, other).low, a.low);
}

// d[s][i] = delta + seed effect + item effect + noise. Over 200 such studies the 95% interval must
// hold delta about 95% of the time (the two-way bootstrap is a little conservative), and a clear
// effect must be called better.
TEST(PairedBootstrap, CoversTheTrueDifferenceOnASyntheticPopulation) {
  const double delta = 0.05;
  std::mt19937_64 rng(2026);
  std::normal_distribution<double> seed_effect(0, 0.02), item_effect(0, 0.2), noise(0, 0.3);
  BootstrapOptions options;
  options.resamples = 400;
  int covered = 0, better = 0;
  const int studies = 200;
  for (int study = 0; study < studies; ++study) {
    std::vector<double> items(200);
    for (auto& value : items) value = item_effect(rng);
    std::vector<std::vector<double>> d(5, std::vector<double>(items.size()));
    for (auto& row : d) {
      const double shift = delta + seed_effect(rng);
      for (std::size_t i = 0; i < row.size(); ++i) row[i] = shift + items[i] + noise(rng);
    }
    options.seed = static_cast<uint64_t>(study);
    const auto result = paired_bootstrap(d, options);
    covered += result.low <= delta && delta <= result.high;
    better += result.verdict == "better";
  }
  EXPECT_GE(covered, 0.90 * studies);
  EXPECT_LE(covered, studies);
  EXPECT_GE(better, 0.5 * studies);  // delta is about 2.9 standard errors from 0
}

TEST(PairedBootstrap, BadInputsAreErrors) {
  test::expect_error([] { paired_bootstrap({}); }, {"[analyze]", "at least one seed and one item"});
  test::expect_error([] { paired_bootstrap({{}}); }, {"at least one seed and one item"});
  test::expect_error([] { paired_bootstrap({{0.0, 1.0}, {0.0}}); }, {"seed 1 has 1 items", "the same items"});
  test::expect_error([] { paired_bootstrap({{0.0, std::nan("")}}); }, {"seed 0, item 1 is not finite"});
  BootstrapOptions none;
  none.resamples = 0;
  test::expect_error([&] { paired_bootstrap({{0.0}}, none); }, {"0 resamples"});
}

TEST(PairedBootstrap, VerdictNeedsTheIntervalToExcludeZero) {
  EXPECT_EQ(analysis::verdict_of(0.001, 0.2), "better");
  EXPECT_EQ(analysis::verdict_of(-0.2, -0.001), "worse");
  EXPECT_EQ(analysis::verdict_of(0.0, 0.2), "tie");
  EXPECT_EQ(analysis::verdict_of(-0.1, 0.2), "tie");
}

}  // namespace
}  // namespace vltune
