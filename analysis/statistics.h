// Summary statistics for reports and analyses, in double precision.
//   mean ± sample standard deviation  s = sqrt(Σ(v - mean)² / (n - 1))   (undefined for n < 2)
//   least-squares line y = a + b x:    b = Sxy / Sxx,  a = ȳ - b x̄
//   Pearson correlation:               r = Sxy / sqrt(Sxx Syy)
//   partial correlation of x and y given z:  (r_xy − r_xz r_yz) / sqrt((1 − r_xz²)(1 − r_yz²))
// with Sxy = Σ(x - x̄)(y - ȳ). Undefined values are NaN.
#pragma once
#include <cstdint>
#include <vector>

namespace vltune::analysis {

struct MeanStd {
  double mean = 0;
  double std = 0;  // NaN when n < 2
  int64_t n = 0;
};

MeanStd mean_std(const std::vector<double>& values);  // NaN mean when empty

struct LinearFit {
  double slope = 0, intercept = 0;
  double pearson_r = 0;  // NaN when x or y does not vary
  int64_t n = 0;
};

// Throws when x and y differ in length. slope and intercept are NaN when x does not vary.
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

// What x and y share beyond what each shares with z (NaN when a correlation is undefined or z
// explains x or y entirely). Throws when the lengths differ.
double partial_correlation(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& z);

// The same from the three Pearson r's, r(x, y), r(x, z) and r(y, z), for a caller that reports them too.
double partial_correlation(double r_xy, double r_xz, double r_yz);

}  // namespace vltune::analysis
