#include "vision/resample.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace vltune::vision {

namespace {

// Keys' cubic convolution kernel with a = -0.5.
double keys_cubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// The largest p <= 22 for which the largest weight, at 2^(p+1), still rounds under 2^15.
int fixed_point_precision(double largest_weight) {
  int p = 0;
  while (p < 22 && static_cast<int>(0.5 + largest_weight * static_cast<double>(1 << (p + 1))) < (1 << 15)) ++p;
  return p;
}

int32_t round_half_away(double v) { return v < 0 ? static_cast<int32_t>(v - 0.5) : static_cast<int32_t>(v + 0.5); }

uint8_t to_pixel(int64_t sum, int precision) {
  if (sum < 0) return 0;
  return static_cast<uint8_t>(std::min<int64_t>(sum >> precision, 255));
}

// One pass along an axis. The image is seen as `lines` lines of `in` pixels of 3 channels, pixel k
// of line l at (l * line_step + k * pixel_step) * 3; the output has the same layout with `out`
// pixels per line (line_step_out / pixel_step_out).
struct Pass {
  int64_t lines, line_step_in, pixel_step_in, line_step_out, pixel_step_out;
};

void resample_pass(const std::vector<uint8_t>& in, std::vector<uint8_t>& out, const Pass& pass, const ResampleTaps& t) {
  const int64_t outputs = static_cast<int64_t>(t.first.size());
  const int64_t half = int64_t{1} << (t.precision - 1);
  for (int64_t line = 0; line < pass.lines; ++line)
    for (int64_t i = 0; i < outputs; ++i) {
      const int32_t* weights = &t.taps[i * t.taps_per_output];
      for (int c = 0; c < 3; ++c) {
        int64_t sum = half;
        for (int64_t j = 0; j < t.count[i]; ++j)
          sum += weights[j] * int64_t{in[(line * pass.line_step_in + (t.first[i] + j) * pass.pixel_step_in) * 3 + c]};
        out[(line * pass.line_step_out + i * pass.pixel_step_out) * 3 + c] = to_pixel(sum, t.precision);
      }
    }
}

}  // namespace

ResampleTaps bicubic_antialias_taps(int64_t in, int64_t out) {
  if (in < 1 || out < 1) fail("[image] cannot resize ", in, " pixels to ", out);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double support = scale >= 1.0 ? 2.0 * scale : 2.0;
  const double stretch = scale >= 1.0 ? 1.0 / scale : 1.0;
  ResampleTaps t;
  t.taps_per_output = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  std::vector<double> weights(static_cast<std::size_t>(out * t.taps_per_output), 0.0);
  double largest = 0.0;
  for (int64_t i = 0; i < out; ++i) {
    const double centre = scale * (static_cast<double>(i) + 0.5);
    const int64_t first = std::max<int64_t>(static_cast<int64_t>(centre - support + 0.5), 0);
    const int64_t count =
        std::clamp<int64_t>(std::min<int64_t>(static_cast<int64_t>(centre + support + 0.5), in) - first, 0, t.taps_per_output);
    double* w = &weights[i * t.taps_per_output];
    double total = 0.0;
    for (int64_t j = 0; j < count; ++j) total += w[j] = keys_cubic((static_cast<double>(j + first) - centre + 0.5) * stretch);
    if (total != 0.0)
      for (int64_t j = 0; j < count; ++j) largest = std::max(largest, w[j] /= total);
    t.first.push_back(first);
    t.count.push_back(count);
  }
  t.precision = fixed_point_precision(largest);
  if (t.precision < 1) fail("[image] no fixed-point precision for resizing ", in, " pixels to ", out);
  const double unit = static_cast<double>(1 << t.precision);
  t.taps.reserve(weights.size());
  for (double w : weights) t.taps.push_back(round_half_away(w * unit));
  return t;
}

media::Image resize_bicubic_antialias(const media::Image& image, int height, int width) {
  if (image.width < 1 || image.height < 1 || image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    fail("[image] an image of ", image.width, "x", image.height, " must hold width*height*3 bytes, holds ",
         image.rgb.size());
  if (height < 1 || width < 1) fail("[image] cannot resize an image to ", width, "x", height);
  media::Image current = image;
  if (width != current.width) {  // along each row
    media::Image next{width, current.height, std::vector<uint8_t>(static_cast<std::size_t>(width) * current.height * 3)};
    resample_pass(current.rgb, next.rgb, {current.height, current.width, 1, width, 1},
                  bicubic_antialias_taps(current.width, width));
    current = std::move(next);
  }
  if (height != current.height) {  // down each column
    media::Image next{current.width, height, std::vector<uint8_t>(static_cast<std::size_t>(current.width) * height * 3)};
    resample_pass(current.rgb, next.rgb, {current.width, 1, current.width, 1, current.width},
                  bicubic_antialias_taps(current.height, height));
    current = std::move(next);
  }
  return current;
}

}  // namespace vltune::vision
