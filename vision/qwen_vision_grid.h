// The index arithmetic of the Qwen2-VL / Qwen2.5-VL vision tower, with no tensors (torch-free).
//
// An image or clip arrives as a grid (t, h, w) of patches: t temporal patches (an image has t = 1),
// h rows, w columns. The processor lays its patches out frame by frame, and within a frame by
// merge blocks (spatial_merge_size² patches that the merger turns into one token), the blocks
// row-major and the patches of a block row-major. Everything below follows that order.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vltune::vision {

struct PatchGrid {
  int64_t t = 0, h = 0, w = 0;
  int64_t patches() const { return t * h * w; }
};

// Checks every grid (positive, h and w divisible by `merge`) and returns the total patch count;
// errors start with `where` (e.g. "[qwen] image_grid_thw").
int64_t check_grids(const std::vector<PatchGrid>& grids, int64_t merge, const std::string& where);

// Each patch's (row, column) in its frame: the 2-D rotary positions, in processor order.
std::vector<std::array<int64_t, 2>> patch_rows_columns(const std::vector<PatchGrid>& grids, int64_t merge);

// The attention sequences of full attention, in patches: one per frame (h·w) of each grid.
std::vector<int64_t> frame_lengths(const std::vector<PatchGrid>& grids);

// Qwen2.5-VL's window attention. Merged tokens ("units") are reordered window by window: per grid
// and frame, the merged grid (h/merge x w/merge) is cut into windows of `window_units` x
// `window_units` (the last ones partial), windows row-major, units row-major inside a window.
// `unit_order[i]` is the unit placed at i; `window_lengths` the windows' lengths in patches (units
// x merge²), empty windows left out. Frames stay contiguous, so frame_lengths() still applies.
struct WindowOrder {
  std::vector<int64_t> unit_order;
  std::vector<int64_t> window_lengths;
};
WindowOrder window_order(const std::vector<PatchGrid>& grids, int64_t merge, int64_t window_units);

// The processor's smart_resize: the size nearest (height, width) whose sides are multiples of
// `factor` (patch x merge, 28) and whose area lies in [min_pixels, max_pixels], keeping the aspect
// ratio. Sides round half to even, as Python's round(). Throws, starting with `what`, for a side
// under `factor` or an aspect ratio above 200.
struct ImageSize {
  int64_t height = 0, width = 0;
};
ImageSize smart_resize(int64_t height, int64_t width, int64_t factor, int64_t min_pixels, int64_t max_pixels,
                       const std::string& what);

}  // namespace vltune::vision
