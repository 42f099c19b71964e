#include "core/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "core/error.h"

namespace vltune::svg {

namespace {

// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
const char* const kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

const char* colour(std::size_t index) { return palette_colour(index); }

// The colour of the chart's i-th series: its own, or the palette's.
const char* series_colour(const Chart& chart, std::size_t i) {
  return chart.series[i].colour.empty() ? colour(i) : chart.series[i].colour.c_str();
}

std::string number(double value, const char* format = "%.2f") {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string tick_label(double value) {
  for (const auto& [scale, suffix] : {std::make_pair(1e9, "G"), std::make_pair(1e6, "M"), std::make_pair(1e3, "k")})
    if (std::abs(value) >= std::max(scale, 1e4)) return number(value / scale, "%.4g") + suffix;
  return number(value, "%.4g");
}

bool drawable(double value, bool log) { return std::isfinite(value) && (!log || value > 0); }

// The data range of one axis, padded so points do not sit on the frame.
std::pair<double, double> axis_range(const std::vector<double>& values, bool log) {
  double low = INFINITY, high = -INFINITY;
  for (double v : values) {
    if (!drawable(v, log)) continue;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  if (low > high) return log ? std::make_pair(1.0, 10.0) : std::make_pair(0.0, 1.0);
  if (log) {
    double a = std::log10(low), b = std::log10(high);
    const double pad = a == b ? 0.3 : 0.05 * (b - a);
    return {std::pow(10.0, a - pad), std::pow(10.0, b + pad)};
  }
  if (low == high) {
    const double pad = low == 0 ? 1.0 : 0.1 * std::abs(low);
    return {low - pad, high + pad};
  }
  const double pad = 0.05 * (high - low);
  return {low - pad, high + pad};
}

std::vector<double> linear_ticks(double low, double high) {
  const double raw = (high - low) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double step = magnitude * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10);
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

struct Frame {  // maps data to pixels inside the plot area
  double left, top, width, height;
  double x_low, x_high, y_low, y_high;
  bool x_log, y_log;
  static double t(double v, bool log) { return log ? std::log10(v) : v; }
  double px(double x) const { return left + (t(x, x_log) - t(x_low, x_log)) / (t(x_high, x_log) - t(x_low, x_log)) * width; }
  double py(double y) const {
    return top + height - (t(y, y_log) - t(y_low, y_log)) / (t(y_high, y_log) - t(y_low, y_log)) * height;
  }
};

void check_series(const Series& series) {
  if (series.x.size() != series.y.size())
    fail("[svg] series '", series.name, "': ", series.x.size(), " x values but ", series.y.size(), " y values; expected as many");
  if (!series.point_labels.empty() && series.point_labels.size() != series.x.size())
    fail("[svg] series '", series.name, "': ", series.point_labels.size(), " point labels for ", series.x.size(),
         " points; expected none or one per point");
}

std::string shorten(const std::string& text, std::size_t max_chars) {
  if (text.size() <= max_chars) return text;
  return text.substr(0, max_chars > 3 ? max_chars - 3 : 0) + "...";
}

void draw_axes(std::ostringstream& out, const Chart& chart, const Frame& f) {
  out << "<g stroke=\"#e3e3e3\" stroke-width=\"1\">";
  const auto ticks_of = [](const Axis& axis, double low, double high) {
    if (axis.ticks.empty()) return axis_ticks(low, high, axis.log);
    std::vector<double> inside;
    for (double t : axis.ticks)
      if (drawable(t, axis.log) && t >= low && t <= high) inside.push_back(t);
    return inside;
  };
  const auto x_ticks = ticks_of(chart.x, f.x_low, f.x_high);
  const auto y_ticks = ticks_of(chart.y, f.y_low, f.y_high);
  for (double t : x_ticks) out << "<line x1=\"" << number(f.px(t)) << "\" y1=\"" << f.top << "\" x2=\"" << number(f.px(t))
                               << "\" y2=\"" << f.top + f.height << "\"/>";
  for (double t : y_ticks) out << "<line x1=\"" << f.left << "\" y1=\"" << number(f.py(t)) << "\" x2=\"" << f.left + f.width
                               << "\" y2=\"" << number(f.py(t)) << "\"/>";
  out << "</g>\n<rect x=\"" << f.left << "\" y=\"" << f.top << "\" width=\"" << f.width << "\" height=\"" << f.height
      << "\" fill=\"none\" stroke=\"#444\"/>\n<g fill=\"#333\">";
  for (double t : x_ticks)
    out << "<text x=\"" << number(f.px(t)) << "\" y=\"" << f.top + f.height + 16 << "\" text-anchor=\"middle\">"
        << escape_xml(tick_label(t)) << "</text>";
  for (double t : y_ticks)
    out << "<text x=\"" << f.left - 6 << "\" y=\"" << number(f.py(t) + 4) << "\" text-anchor=\"end\">" << escape_xml(tick_label(t))
        << "</text>";
  out << "</g>\n";
  const double x_mid = f.left + f.width / 2, y_mid = f.top + f.height / 2;
  out << "<text x=\"" << x_mid << "\" y=\"" << f.top + f.height + 40 << "\" text-anchor=\"middle\">"
      << escape_xml(chart.x.label + (chart.x.log ? " (log)" : "")) << "</text>\n";
  out << "<text x=\"16\" y=\"" << y_mid << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " << y_mid << ")\">"
      << escape_xml(chart.y.label + (chart.y.log ? " (log)" : "")) << "</text>\n";
}

void draw_series(std::ostringstream& out, const Series& series, const char* fill, const Frame& f) {
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < series.x.size(); ++i)
    if (drawable(series.x[i], f.x_log) && drawable(series.y[i], f.y_log)) shown.push_back(i);
  out << "<g class=\"series\" data-name=\"" << escape_xml(series.name) << "\">";
  if (series.lines && shown.size() > 1) {
    out << "<polyline fill=\"none\" stroke=\"" << fill << "\" stroke-width=\"2\" points=\"";
    for (std::size_t i : shown) out << number(f.px(series.x[i])) << "," << number(f.py(series.y[i])) << " ";
    out << "\"/>";
  }
  for (std::size_t i : shown) {
    const auto x = number(f.px(series.x[i])), y = number(f.py(series.y[i]));
    if (series.markers) out << "<circle cx=\"" << x << "\" cy=\"" << y << "\" r=\"3.5\" fill=\"" << fill << "\"/>";
    if (series.point_labels.empty()) continue;
    // Labels in the right quarter go to the left of their point, to stay inside the frame.
    const bool leftward = f.px(series.x[i]) > f.left + 0.75 * f.width;
    out << "<text x=\"" << number(f.px(series.x[i]) + (leftward ? -5 : 5)) << "\" y=\"" << number(f.py(series.y[i]) - 5)
        << "\" font-size=\"10\" fill=\"#333\"" << (leftward ? " text-anchor=\"end\"" : "") << ">"
        << escape_xml(series.point_labels[i]) << "</text>";
  }
  out << "</g>\n";
}

// y = intercept + slope * x sampled across the plot (a straight line in data space is curved on
// a log axis), clipped to the frame by the chart's clip path.
void draw_fit(std::ostringstream& out, const FitLine& fit, const char* stroke, const Frame& f, const std::string& clip_id) {
  out << "<polyline class=\"fit\" fill=\"none\" stroke=\"" << stroke << "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\""
      << " clip-path=\"url(#" << clip_id << ")\" points=\"";
  constexpr int kSamples = 64;
  for (int i = 0; i <= kSamples; ++i) {
    const double u = static_cast<double>(i) / kSamples;
    const double x = f.x_log ? std::pow(10.0, std::log10(f.x_low) + u * (std::log10(f.x_high) - std::log10(f.x_low)))
                             : f.x_low + u * (f.x_high - f.x_low);
    const double y = fit.intercept + fit.slope * x;
    if (!drawable(y, f.y_log)) continue;
    out << number(f.px(x)) << "," << number(std::clamp(f.py(y), f.top - f.height, f.top + 2 * f.height)) << " ";
  }
  out << "\"/>\n";
}

}  // namespace

const char* palette_colour(std::size_t index) { return kPalette[index % kPaletteSize]; }

std::string escape_xml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::vector<double> axis_ticks(double low, double high, bool log) {
  if (!(low < high)) return {low};
  if (!log) return linear_ticks(low, high);
  std::vector<double> ticks;
  const bool fine = std::log10(high / low) < 2;
  for (int k = static_cast<int>(std::floor(std::log10(low))); k <= static_cast<int>(std::ceil(std::log10(high))); ++k)
    for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
      const double t = m * std::pow(10.0, k);
      if (t >= low * (1 - 1e-12) && t <= high * (1 + 1e-12)) ticks.push_back(t);
    }
  return ticks.size() >= 2 ? ticks : linear_ticks(low, high);
}

std::string render(const Chart& chart) {
  std::vector<double> xs, ys;
  std::size_t longest_name = 0;
  for (const auto& series : chart.series) {
    check_series(series);
    xs.insert(xs.end(), series.x.begin(), series.x.end());
    ys.insert(ys.end(), series.y.begin(), series.y.end());
    longest_name = std::max(longest_name, series.name.size());
  }
  for (const auto& fit : chart.fits) longest_name = std::max(longest_name, fit.name.size());
  const auto [x_low, x_high] = axis_range(xs, chart.x.log);
  const auto [y_low, y_high] = axis_range(ys, chart.y.log);

  const bool has_legend = !chart.series.empty() || !chart.fits.empty();
  const double legend_width = has_legend ? std::min(40 + 6.5 * longest_name, chart.width * 0.4) : 0;
  const std::size_t legend_chars = static_cast<std::size_t>((legend_width - 40) / 6.5);
  Frame f{70, 40, chart.width - 70 - 20 - legend_width, chart.height - 40.0 - 55, x_low, x_high, y_low, y_high,
          chart.x.log, chart.y.log};
  const std::string clip_id = "clip-" + std::to_string(std::hash<std::string>{}(
                                            std::to_string(chart.width) + "x" + std::to_string(chart.height) + chart.title) %
                                        1000000007);

  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << chart.width << "\" height=\"" << chart.height
      << "\" viewBox=\"0 0 " << chart.width << " " << chart.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out << "<title>" << escape_xml(chart.title) << "</title>\n";
  out << "<defs><clipPath id=\"" << clip_id << "\"><rect x=\"" << f.left << "\" y=\"" << f.top << "\" width=\"" << f.width
      << "\" height=\"" << f.height << "\"/></clipPath></defs>\n";
  out << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out << "<text x=\"" << chart.width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">"
      << escape_xml(chart.title) << "</text>\n";
  draw_axes(out, chart, f);
  for (std::size_t i = 0; i < chart.series.size(); ++i) draw_series(out, chart.series[i], series_colour(chart, i), f);
  for (std::size_t i = 0; i < chart.fits.size(); ++i) draw_fit(out, chart.fits[i], colour(chart.series.size() + i), f, clip_id);

  if (has_legend) {
    const double x = f.left + f.width + 14;
    double y = f.top + 8;
    out << "<g class=\"legend\">";
    for (std::size_t i = 0; i < chart.series.size(); ++i, y += 18) {
      const auto& series = chart.series[i];
      if (series.lines) out << "<line x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x + 18 << "\" y2=\"" << y << "\" stroke=\"" << series_colour(chart, i) << "\" stroke-width=\"2\"/>";
      if (series.markers) out << "<circle cx=\"" << x + 9 << "\" cy=\"" << y << "\" r=\"3.5\" fill=\"" << series_colour(chart, i) << "\"/>";
      out << "<text x=\"" << x + 24 << "\" y=\"" << y + 4 << "\">" << escape_xml(shorten(series.name, legend_chars)) << "</text>";
    }
    for (std::size_t i = 0; i < chart.fits.size(); ++i, y += 18)
      out << "<line x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x + 18 << "\" y2=\"" << y << "\" stroke=\""
          << colour(chart.series.size() + i) << "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"" << x + 24
          << "\" y=\"" << y + 4 << "\">" << escape_xml(shorten(chart.fits[i].name, legend_chars)) << "</text>";
    out << "</g>\n";
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace vltune::svg
