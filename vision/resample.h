// Antialiased bicubic resizing of 8-bit RGB images in fixed point, bit for bit what LibTorch's
// uint8 path of interpolate(mode="bicubic", antialias=True, align_corners=False) gives on the CPU
// (PyTorch >= 2.1; the path torchvision's resize takes for a uint8 tensor, and so transformers 5's
// torchvision image processors, Qwen2VLImageProcessor among them). Torch-free.
//
// The image is resized one axis at a time, width first then height (an axis of unchanged size is
// skipped), each pass writing 8-bit pixels:
//   scale    = in / out; the filter is Keys' cubic with a = -0.5 (Pillow's BICUBIC), stretched by
//              `scale` when shrinking (support 2·scale input pixels each side, else 2)
//   taps     output i is centred on scale·(i + 0.5); it reads the input pixels from
//              trunc(centre - support + 0.5) (at least 0) to trunc(centre + support + 0.5)
//              (at most `in`), weighted filter((j - centre + 0.5) / max(scale, 1)), normalised to
//              sum to one (in double)
//   fixed    the weights become integers at 2^p, p the largest (at most 22) that keeps the axis's
//            largest weight under 2^15 at 2^(p+1); each rounded half away from zero
//   pixel    (2^(p-1) + Σ weight·input) >> p, clamped to [0, 255]
// That is Pillow's ImagingResample arithmetic too, except for how p is chosen.
#pragma once
#include <cstdint>
#include <vector>

#include "vision/media/media.h"

namespace vltune::vision {

// One axis's fixed-point taps: output i reads `count[i]` inputs from `first[i]`, with the weights
// taps[i * taps_per_output + j].
struct ResampleTaps {
  std::vector<int64_t> first, count;
  std::vector<int32_t> taps;
  int64_t taps_per_output = 0;
  int precision = 0;  // p: the weights are fractions of 2^p
};

// The taps that resize an axis of `in` pixels to `out` (both at least 1).
ResampleTaps bicubic_antialias_taps(int64_t in, int64_t out);

// `image` resized to height x width (both at least 1); unchanged when it has that size already.
media::Image resize_bicubic_antialias(const media::Image& image, int height, int width);

}  // namespace vltune::vision
