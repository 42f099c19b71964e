// Qwen2-VL / Qwen2.5-VL preprocessing, as transformers' Qwen2VLImageProcessor does it:
//   size      smart_resize (vision/qwen_vision_grid.h): multiples of patch x merge (28), area within
//             [min_pixels, max_pixels]; resized by vision/resample.h (torchvision's uint8 bicubic, bit for bit)
//   values    (x - 255·image_mean) / (255·image_std) in float32 (CLIP's mean and std by default)
//   frames    an image is its own frame repeated to temporal_patch_size; a clip whose frame count
//             is not a multiple of it repeats its last frame until it is
//   patches   [t·h·w, channels·temporal·patch·patch]: frame group by frame group, merge blocks
//             row-major, the patches of a block row-major (the order the tower's merger expects)
// preprocessor_config.json (min_pixels, max_pixels or size.shortest_edge/longest_edge,
// image_mean, image_std) overrides the defaults.
#pragma once
#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

#include "vision/media/media.h"
#include "vision/qwen_vision_config.h"
#include "vision/qwen_vision_grid.h"

namespace vltune::vision {

struct QwenProcessorConfig {
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t merge_size = 2;
  int64_t min_pixels = 56 * 56;
  int64_t max_pixels = 28 * 28 * 1280;
  std::array<double, 3> mean{0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> std{0.26862954, 0.26130258, 0.27577711};
};

// The tower's patch sizes, overridden by MODEL_DIR/preprocessor_config.json when it exists.
QwenProcessorConfig qwen_processor_config(const std::string& model_dir, const QwenVisionConfig& tower);

struct QwenPixels {
  torch::Tensor pixel_values;  // [patches, channels·temporal·patch·patch] float32
  PatchGrid grid;              // (t, h, w) in patches
};

// The two halves of preprocessing, so that resized frames can be cached (datasets/media_cache.h):
// one image (one frame) or a clip's frames (all the same size) resized by smart_resize, uint8
// [frames, 3, H, W]; and resized frames (H, W multiples of patch x merge) into patches and grid.
// `what` names the media in errors.
torch::Tensor qwen_resize(const std::vector<media::Image>& frames, const QwenProcessorConfig& config, const std::string& what);
QwenPixels qwen_patches(const torch::Tensor& frames, const QwenProcessorConfig& config, const std::string& what);

// qwen_patches(qwen_resize(frames)).
QwenPixels qwen_preprocess(const std::vector<media::Image>& frames, const QwenProcessorConfig& config,
                           const std::string& what);

}  // namespace vltune::vision
