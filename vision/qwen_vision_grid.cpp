#include "vision/qwen_vision_grid.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace vltune::vision {

int64_t check_grids(const std::vector<PatchGrid>& grids, int64_t merge, const std::string& where) {
  int64_t total = 0;
  for (std::size_t i = 0; i < grids.size(); ++i) {
    const auto& g = grids[i];
    if (g.t <= 0 || g.h <= 0 || g.w <= 0 || g.h % merge != 0 || g.w % merge != 0)
      fail(where, " row ", i, " is (", g.t, ", ", g.h, ", ", g.w, "): expected positive sizes with rows and columns"
           " divisible by spatial_merge_size ", merge);
    if (g.h > (int64_t{1} << 20) || g.w > (int64_t{1} << 20) || g.t > (int64_t{1} << 20))
      fail(where, " row ", i, " is (", g.t, ", ", g.h, ", ", g.w, "): implausibly large");
    total += g.patches();
  }
  return total;
}

std::vector<std::array<int64_t, 2>> patch_rows_columns(const std::vector<PatchGrid>& grids, int64_t merge) {
  std::vector<std::array<int64_t, 2>> out;
  for (const auto& g : grids)
    for (int64_t frame = 0; frame < g.t; ++frame)
      for (int64_t block_row = 0; block_row < g.h / merge; ++block_row)
        for (int64_t block_col = 0; block_col < g.w / merge; ++block_col)
          for (int64_t r = 0; r < merge; ++r)
            for (int64_t c = 0; c < merge; ++c) out.push_back({block_row * merge + r, block_col * merge + c});
  return out;
}

std::vector<int64_t> frame_lengths(const std::vector<PatchGrid>& grids) {
  std::vector<int64_t> out;
  for (const auto& g : grids)
    for (int64_t frame = 0; frame < g.t; ++frame) out.push_back(g.h * g.w);
  return out;
}

WindowOrder window_order(const std::vector<PatchGrid>& grids, int64_t merge, int64_t window_units) {
  WindowOrder out;
  int64_t first_unit = 0;  // of the current frame
  for (const auto& g : grids) {
    const int64_t rows = g.h / merge, cols = g.w / merge;
    const int64_t windows_down = (rows + window_units - 1) / window_units;
    const int64_t windows_across = (cols + window_units - 1) / window_units;
    for (int64_t frame = 0; frame < g.t; ++frame, first_unit += rows * cols)
      for (int64_t wr = 0; wr < windows_down; ++wr)
        for (int64_t wc = 0; wc < windows_across; ++wc) {
          int64_t count = 0;
          for (int64_t r = wr * window_units; r < std::min(rows, (wr + 1) * window_units); ++r)
            for (int64_t c = wc * window_units; c < std::min(cols, (wc + 1) * window_units); ++c, ++count)
              out.unit_order.push_back(first_unit + r * cols + c);
          if (count > 0) out.window_lengths.push_back(count * merge * merge);
        }
  }
  return out;
}

ImageSize smart_resize(int64_t height, int64_t width, int64_t factor, int64_t min_pixels, int64_t max_pixels,
                       const std::string& what) {
  if (height < factor || width < factor)
    fail(what, ": an image of ", width, "x", height, " px; both sides must be at least ", factor, " px");
  const double h = static_cast<double>(height), w = static_cast<double>(width), f = static_cast<double>(factor);
  if (std::max(h, w) / std::min(h, w) > 200)
    fail(what, ": an image of ", width, "x", height, " px has an aspect ratio above 200");
  int64_t h_bar = static_cast<int64_t>(std::nearbyint(h / f)) * factor;
  int64_t w_bar = static_cast<int64_t>(std::nearbyint(w / f)) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt(h * w / static_cast<double>(max_pixels));
    h_bar = std::max(factor, static_cast<int64_t>(std::floor(h / beta / f)) * factor);
    w_bar = std::max(factor, static_cast<int64_t>(std::floor(w / beta / f)) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / (h * w));
    h_bar = static_cast<int64_t>(std::ceil(h * beta / f)) * factor;
    w_bar = static_cast<int64_t>(std::ceil(w * beta / f)) * factor;
  }
  return {h_bar, w_bar};
}

}  // namespace vltune::vision
