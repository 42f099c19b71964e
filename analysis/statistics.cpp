#include "analysis/statistics.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace vltune::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? kNaN : sum / values.size();
}
}  // namespace

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd result;
  result.n = static_cast<int64_t>(values.size());
  result.mean = mean_of(values);
  if (result.n < 2) {
    result.std = kNaN;
    return result;
  }
  double squares = 0;
  for (double v : values) squares += (v - result.mean) * (v - result.mean);
  result.std = std::sqrt(squares / (result.n - 1));
  return result;
}

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) fail("[analyze] fit_line: ", x.size(), " x values but ", y.size(), " y values; expected as many");
  LinearFit fit;
  fit.n = static_cast<int64_t>(x.size());
  const double x_mean = mean_of(x), y_mean = mean_of(y);
  double sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - x_mean) * (x[i] - x_mean);
    syy += (y[i] - y_mean) * (y[i] - y_mean);
    sxy += (x[i] - x_mean) * (y[i] - y_mean);
  }
  fit.slope = sxx > 0 ? sxy / sxx : kNaN;
  fit.intercept = sxx > 0 ? y_mean - fit.slope * x_mean : kNaN;
  fit.pearson_r = sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
  return fit;
}

double partial_correlation(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& z) {
  if (x.size() != y.size() || x.size() != z.size())
    fail("[analyze] partial_correlation: ", x.size(), ", ", y.size(), " and ", z.size(), " values; expected as many of each");
  return partial_correlation(fit_line(x, y).pearson_r, fit_line(x, z).pearson_r, fit_line(y, z).pearson_r);
}

double partial_correlation(double r_xy, double r_xz, double r_yz) {
  const double rest = (1 - r_xz * r_xz) * (1 - r_yz * r_yz);
  return rest > 0 ? (r_xy - r_xz * r_yz) / std::sqrt(rest) : kNaN;
}

}  // namespace vltune::analysis
