// The weight-decomposition measures on synthetic weights whose ΔM and ΔD are known by
// construction, the statistics on hand-worked values, and the CSV and SVG writers.
#include <cmath>

#include "analysis/analysis_report.h"
#include "analysis/csv.h"
#include "analysis/statistics.h"
#include "analysis/weight_decomposition.h"
#include "core/svg_plot.h"
#include "test_support.h"

namespace vltune {
namespace {

using analysis::decomposition_change;

// Rows of norm `norms[n]` at angle `angles[n]` from the matching row of `base` (in the plane of
// the base row and a random direction orthogonal to it).
torch::Tensor turned_rows(const torch::Tensor& base, const std::vector<double>& angles, const std::vector<double>& norms) {
  auto generator = at::detail::createCPUGenerator(7);
  auto rows = torch::empty_like(base);
  for (int64_t n = 0; n < base.size(0); ++n) {
    const auto d0 = base[n] / base[n].norm();
    auto u = torch::randn({base.size(1)}, generator, base.options());
    u = u - u.dot(d0) * d0;
    u = u / u.norm();
    rows[n] = norms[n] * (std::cos(angles[n]) * d0 + std::sin(angles[n]) * u);
  }
  return rows;
}

TEST(WeightDecomposition, ScalingRowsChangesOnlyTheMagnitude) {
  const auto w0 = torch::tensor({{3.0, 4.0, 0.0}, {0.0, 0.0, 2.0}});  // row norms 5 and 2
  const auto w = w0 * torch::tensor({2.0, 0.5}).unsqueeze(1);          // norms 10 and 1
  const auto change = decomposition_change(w0, w, "scaled");
  EXPECT_NEAR(change.delta_m, (5.0 + 1.0) / 2, 1e-6);
  EXPECT_NEAR(change.delta_d, 0.0, 1e-12);
}

TEST(WeightDecomposition, RotatingRowsChangesOnlyTheDirection) {
  const auto w0 = torch::tensor({{5.0, 0.0}, {0.0, 2.0}});
  const double pi = std::acos(-1.0);
  // 60 degrees: 1 - cos = 0.5; 90 degrees: 1 - cos = 1.
  const auto w = torch::tensor({{5 * std::cos(pi / 3), 5 * std::sin(pi / 3)}, {-2.0, 0.0}});
  const auto change = decomposition_change(w0, w, "rotated");
  EXPECT_NEAR(change.delta_m, 0.0, 1e-6);
  EXPECT_NEAR(change.delta_d, 0.75, 1e-7);
}

TEST(WeightDecomposition, KnownMagnitudeAndDirectionOnRandomRows) {
  auto generator = at::detail::createCPUGenerator(3);
  const auto w0 = torch::randn({6, 16}, generator, torch::kFloat64);
  const std::vector<double> angles = {0.1, 0.2, 0.3, 0.05, 0.5, 1.0};
  const std::vector<double> scales = {1.5, 0.8, 1.0, 1.2, 0.9, 2.0};
  std::vector<double> norms;
  double want_m = 0, want_d = 0;
  for (int64_t n = 0; n < 6; ++n) {
    const double m0 = w0[n].norm().item<double>();
    norms.push_back(scales[n] * m0);
    want_m += std::abs(scales[n] - 1) * m0 / 6;
    want_d += (1 - std::cos(angles[n])) / 6;
  }
  const auto w = turned_rows(w0, angles, norms);
  const auto change = decomposition_change(w0, w, "random");
  EXPECT_NEAR(change.delta_m, want_m, 1e-10 * want_m);
  EXPECT_NEAR(change.delta_d, want_d, 1e-10 * want_d);
  // float32 inputs are measured in float64: only their own rounding remains.
  const auto change32 = decomposition_change(w0.to(torch::kFloat32), w.to(torch::kFloat32), "random32");
  EXPECT_NEAR(change32.delta_d, want_d, 1e-5 * want_d);
}

// The mean row angle and ‖ΔW‖ on rows turned by known angles with known norms: rotating a row of
// norm m by θ moves it by 2·m·sin(θ/2), so ‖ΔW‖² is the sum of those squares.
TEST(WeightDecomposition, AngleAndUpdateNormOfKnownTurns) {
  auto generator = at::detail::createCPUGenerator(11);
  const auto w0 = torch::randn({5, 12}, generator, torch::kFloat64);
  const std::vector<double> degrees = {1, 5, 8, 30, 90};
  std::vector<double> angles, norms;
  double want_angle = 0, want_norm_squared = 0;
  for (int64_t n = 0; n < 5; ++n) {
    angles.push_back(degrees[n] * std::acos(-1.0) / 180);
    norms.push_back(w0[n].norm().item<double>());
    want_angle += degrees[n] / 5;
    want_norm_squared += std::pow(2 * norms[n] * std::sin(angles[n] / 2), 2);
  }
  const auto change = decomposition_change(w0, turned_rows(w0, angles, norms), "turned");
  EXPECT_NEAR(change.angle_deg, want_angle, 1e-9 * want_angle);
  EXPECT_NEAR(change.update_norm, std::sqrt(want_norm_squared), 1e-9 * std::sqrt(want_norm_squared));
  // A row scaled, not turned: no angle, and ‖ΔW‖ is the scale's share of the row.
  const auto scaled = decomposition_change(torch::tensor({{3.0, 4.0}}), torch::tensor({{6.0, 8.0}}), "scaled");
  EXPECT_NEAR(scaled.angle_deg, 0.0, 1e-9);
  EXPECT_NEAR(scaled.update_norm, 5.0, 1e-12);
  // Reversed rows turn by 180 degrees.
  EXPECT_NEAR(decomposition_change(torch::tensor({{3.0, 4.0}}), torch::tensor({{-3.0, -4.0}}), "reversed").angle_deg, 180.0, 1e-9);
}

TEST(WeightDecomposition, TinyDirectionChangesKeepTheirPrecision) {
  // 1 - cos(1e-6) = 2 sin²(5e-7) = 5e-13: even std::cos leaves 1 - cos(1e-6) wrong in the fifth
  // digit in float64; the half squared distance between the unit rows keeps it to 1e-6.
  auto generator = at::detail::createCPUGenerator(5);
  const auto w0 = torch::randn({4, 32}, generator, torch::kFloat64);
  std::vector<double> norms;
  for (int64_t n = 0; n < 4; ++n) norms.push_back(w0[n].norm().item<double>());
  const auto w = turned_rows(w0, std::vector<double>(4, 1e-6), norms);
  const double want = 2 * std::pow(std::sin(0.5e-6), 2);
  EXPECT_NEAR(decomposition_change(w0, w, "tiny").delta_d, want, 1e-6 * want);
}

TEST(WeightDecomposition, BadShapesAndZeroRowsAreErrors) {
  test::expect_error([] { decomposition_change(torch::ones({2, 3}), torch::ones({3, 2}), "layers.0.q_proj"); },
                     {"layers.0.q_proj", "[2, 3]", "[3, 2]", "one shape"});
  test::expect_error([] { decomposition_change(torch::ones({3}), torch::ones({3}), "vector"); }, {"vector", "[out, in]"});
  auto zero_row = torch::ones({3, 2});
  zero_row[1].zero_();
  test::expect_error([&] { decomposition_change(torch::ones({3, 2}), zero_row, "q"); }, {"row 1", "adapted", "zero norm"});
}

TEST(Statistics, LineAndCorrelationMatchHandValues) {
  // x̄ = 2.5, ȳ = 3.75, Sxx = 5, Sxy = 3.5, Syy = 4.75.
  const auto fit = analysis::fit_line({1, 2, 3, 4}, {2, 4, 5, 4});
  EXPECT_NEAR(fit.slope, 0.7, 1e-12);
  EXPECT_NEAR(fit.intercept, 2.0, 1e-12);
  EXPECT_NEAR(fit.pearson_r, 3.5 / std::sqrt(5 * 4.75), 1e-12);
  EXPECT_EQ(fit.n, 4);
  const auto falling = analysis::fit_line({1, 2, 3, 4}, {8, 6, 4, 2});
  EXPECT_NEAR(falling.slope, -2.0, 1e-12);
  EXPECT_NEAR(falling.pearson_r, -1.0, 1e-12);
}

// x = z + a and y = z + c with a ⟂ c, both ⟂ z − z̄ and centred: x and y correlate only through z
// (raw r = 5 / sqrt(9 · 25) = 1/3), so the partial correlation given z is exactly 0; with c = 2a it is 1.
TEST(Statistics, PartialCorrelationRemovesTheSharedVariable) {
  const std::vector<double> z = {1, 2, 3, 4}, a = {1, -1, -1, 1}, c = {-1, 3, -3, 1};
  std::vector<double> x, y, y_same;
  for (int i = 0; i < 4; ++i) {
    x.push_back(z[i] + a[i]);
    y.push_back(z[i] + c[i]);
    y_same.push_back(z[i] + 2 * a[i]);
  }
  EXPECT_NEAR(analysis::fit_line(x, y).pearson_r, 1.0 / 3, 1e-12);
  EXPECT_NEAR(analysis::partial_correlation(x, y, z), 0.0, 1e-12);
  EXPECT_NEAR(analysis::partial_correlation(x, y_same, z), 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(analysis::partial_correlation(z, x, z)));  // x given itself: undefined
  test::expect_error([] { analysis::partial_correlation({1, 2}, {1, 2}, {1}); }, {"[analyze]", "as many"});
}

// The per-checkpoint summary over one module's points, with the same construction: ‖ΔW‖ = z,
// ΔD = z + a, ΔM = z + c. ΔD and ΔM correlate (1/3) only through ‖ΔW‖, so the partial r is 0, and
// the table shows what it removed: r(ΔD, ‖ΔW‖) = √(1.25 / 2.25), r(ΔM, ‖ΔW‖) = √(1.25 / 6.25).
// Another module's points at the same step stay out.
TEST(Analysis, ACheckpointSummaryShowsEachChangesCorrelationWithTheUpdateSize) {
  const std::vector<double> z = {1, 2, 3, 4}, a = {1, -1, -1, 1}, c = {-1, 3, -3, 1};
  std::vector<analysis::AnalysisPoint> points;
  for (int i = 0; i < 4; ++i) {
    points.push_back({"dora-seed0", "dora", 50, "q_proj", i, z[i] + c[i], z[i] + a[i], z[i], 1.0});
    points.push_back({"dora-seed0", "dora", 50, "v_proj", i, -z[i], z[i], 10 * z[i], 2.0});
  }
  const auto summaries = analysis::checkpoint_summaries(points, "q_proj");
  ASSERT_EQ(summaries.size(), 1u);
  const auto& s = summaries.front();
  EXPECT_EQ(s.points, 4);
  EXPECT_NEAR(s.pearson_r, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.partial_r, 0.0, 1e-12);
  EXPECT_NEAR(s.r_d_norm, std::sqrt(1.25 / 2.25), 1e-12);
  EXPECT_NEAR(s.r_m_norm, std::sqrt(1.25 / 6.25), 1e-12);
  EXPECT_NEAR(s.mean_angle_deg, 1.0, 1e-12);
  const auto table = analysis::checkpoint_table(summaries);
  EXPECT_THAT(table, HasSubstr("| r(ΔD, ΔM) | partial r given ‖ΔW‖ | r(ΔD, ‖ΔW‖) | r(ΔM, ‖ΔW‖) | mean angle (°) |"));
  EXPECT_THAT(table, HasSubstr("| dora | 50 | 4 | +0.333 | "));  // the partial r, 0 up to rounding, may print as -0.000
  EXPECT_THAT(table, HasSubstr(" | +0.745 | +0.447 | 1.00 | 2.5 |"));
}

TEST(Statistics, DegenerateInputsGiveNaNNotGarbage) {
  const auto flat_x = analysis::fit_line({2, 2, 2}, {1, 2, 3});
  EXPECT_TRUE(std::isnan(flat_x.slope));
  EXPECT_TRUE(std::isnan(flat_x.pearson_r));
  const auto flat_y = analysis::fit_line({1, 2, 3}, {5, 5, 5});
  EXPECT_NEAR(flat_y.slope, 0.0, 1e-15);
  EXPECT_TRUE(std::isnan(flat_y.pearson_r));
  test::expect_error([] { analysis::fit_line({1, 2}, {1}); }, {"2 x values", "1 y values"});
}

TEST(Statistics, MeanAndSampleStandardDeviation) {
  const auto s = analysis::mean_std({2, 4, 4, 4, 5, 5, 7, 9});  // Σ(v - 5)² = 32
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_NEAR(s.std, std::sqrt(32.0 / 7), 1e-12);
  EXPECT_EQ(s.n, 8);
  const auto one = analysis::mean_std({3.5});
  EXPECT_DOUBLE_EQ(one.mean, 3.5);
  EXPECT_TRUE(std::isnan(one.std));
}

TEST(Csv, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(analysis::csv_row({"plain", "a,b", "say \"hi\"", "two\nlines"}), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n");
  EXPECT_EQ(analysis::csv_number(0.25), "0.25");
  EXPECT_EQ(analysis::csv_number(std::nan("")), "");
}

TEST(SvgPlot, TicksAreRoundNumbers) {
  const auto linear = svg::axis_ticks(0, 1, false);
  ASSERT_EQ(linear.size(), 6u);
  for (std::size_t i = 0; i < linear.size(); ++i) EXPECT_NEAR(linear[i], 0.2 * i, 1e-12);
  const auto shifted = svg::axis_ticks(-3.2, 41, false);
  EXPECT_EQ(shifted, (std::vector<double>{0, 10, 20, 30, 40}));
  EXPECT_EQ(svg::axis_ticks(1, 1000, true), (std::vector<double>{1, 10, 100, 1000}));
  EXPECT_EQ(svg::axis_ticks(4, 70, true), (std::vector<double>{5, 10, 20, 50}));
}

TEST(SvgPlot, DrawsEveryDrawablePointAndEscapesText) {
  svg::Chart chart;
  chart.title = "A <b> & \"c\"";
  chart.x = {"params", true};
  chart.y = {"accuracy"};
  chart.series.push_back({"lora", {10, 100, 0, 1000}, {0.5, 0.6, 0.7, std::nan("")}, {"r4", "r8", "zero", "nan"}});
  chart.series.push_back({"dora", {20, 200}, {0.55, 0.65}, {}});
  chart.series.back().lines = true;
  chart.fits.push_back({"fit <1>", 0.001, 0.5});
  const auto svg = svg::render(chart);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_THAT(svg, HasSubstr("A &lt;b&gt; &amp; &quot;c&quot;"));
  EXPECT_THAT(svg, Not(HasSubstr("<b>")));
  // lora: 2 drawable points (x = 0 is off a log axis, y = NaN is missing); dora: 2; legend: 2.
  EXPECT_EQ(test::count_occurrences(svg, "<circle"), 6u);
  EXPECT_EQ(test::count_occurrences(svg, "<polyline"), 2u);  // dora's line and the fit
  EXPECT_THAT(svg, HasSubstr("fit &lt;1&gt;"));
  EXPECT_THAT(svg, HasSubstr(">r8<"));
  EXPECT_THAT(svg, Not(HasSubstr(">zero<")));
  EXPECT_THAT(svg, HasSubstr("params (log)"));
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(SvgPlot, LargeTickLabelsAreShortAndExplicitTicksWin) {
  svg::Chart chart;
  chart.x = {"params", true};
  chart.y = {"rank", false, {4, 16, 64, 256}};
  chart.series.push_back({"a", {2e4, 3e6}, {4, 64}, {}});
  const auto svg = svg::render(chart);
  for (const char* label : {">100k<", ">1M<", ">4<", ">16<", ">64<"}) EXPECT_THAT(svg, HasSubstr(label)) << label;
  EXPECT_THAT(svg, Not(HasSubstr(">256<"))) << "a tick outside the data range";
  EXPECT_THAT(svg, Not(HasSubstr("e+0")));
}

TEST(SvgPlot, EmptyChartsStillRenderAndBadSeriesAreErrors) {
  svg::Chart chart;
  chart.title = "nothing yet";
  EXPECT_THAT(svg::render(chart), HasSubstr("nothing yet"));
  chart.series.push_back({"broken", {1, 2}, {1}, {}});
  test::expect_error([&] { svg::render(chart); }, {"broken", "2 x values", "1 y values"});
}

}  // namespace
}  // namespace vltune
