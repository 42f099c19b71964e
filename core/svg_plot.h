// Small self-contained SVG charts for reports: scatter and line charts with axes, ticks, a title,
// a legend and optional straight fit lines (y = intercept + slope * x). The output is one <svg>
// element that works both as a file and inlined in HTML: no scripts, no external fonts or styles,
// every text escaped.
//
// Linear axes get "nice" ticks (1, 2 or 5 times a power of ten); log axes get ticks at powers of
// ten, or at 1-2-5 multiples when the data spans less than two decades; tick labels of 10^4 and
// more read 20k, 1M, 3G. Points that cannot be drawn (NaN, infinite, or <= 0 on a log axis) are
// left out.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace vltune::svg {

struct Axis {
  Axis(std::string label_ = "", bool log_ = false, std::vector<double> ticks_ = {})
      : label(std::move(label_)), log(log_), ticks(std::move(ticks_)) {}
  std::string label;
  bool log = false;
  std::vector<double> ticks;  // where to put ticks; empty: chosen from the data range
};

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::vector<std::string> point_labels;  // optional: one short label per point, written beside it
  bool lines = false;                     // join the points in the given order
  bool markers = true;
  std::string colour;                     // "#rrggbb"; "": palette_colour(the series' index)
};

struct FitLine {  // drawn across the x range of the plot
  std::string name;
  double slope = 0, intercept = 0;
};

struct Chart {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  std::vector<FitLine> fits;
  int width = 720, height = 420;
};

// The chart as an <svg> element (with the SVG namespace, so it is also a valid .svg file).
std::string render(const Chart& chart);

// The default palette (Okabe-Ito, distinguishable with the common colour-vision deficiencies),
// cycling: what a series without a colour of its own gets by its index. Reports that show one
// series in several charts give it the same colour in each (analysis/compare_report.cpp).
const char* palette_colour(std::size_t index);

// Text made safe for XML/HTML content and attribute values.
std::string escape_xml(const std::string& text);

// The positions of the ticks an axis spanning [low, high] gets.
std::vector<double> axis_ticks(double low, double high, bool log);

}  // namespace vltune::svg
