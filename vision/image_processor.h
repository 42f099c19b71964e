// Images into the pixel tensors a vision tower takes, the way the towers' HF image processors do:
//   shortest_edge  resize the shorter side to `shortest_edge`, center-crop to crop size (CLIP)
//   pad_to_square  pad to a square with the mean colour, then resize (LLaVA-1.5's expand2square)
//   resize         resize to height x width (SigLIP)
// then normalise: (x - 255·image_mean) / (255·image_std) in float32, as transformers 5 does. Resizing is bicubic with
// antialiasing on uint8 values, rounded back to uint8, as PIL does.
//
// preprocessor_config.json in the model folder sets size, crop_size, image_mean, image_std,
// do_center_crop and do_pad; without it the tower's defaults apply.
#pragma once
#include <torch/torch.h>

#include <array>
#include <string>

#include "vision/media/media.h"
#include "vision/vision_arch.h"

namespace vltune::vision {

enum class ResizePolicy { kShortestEdgeCenterCrop, kPadToSquare, kResize };

struct ImageProcessorConfig {
  ResizePolicy policy = ResizePolicy::kShortestEdgeCenterCrop;
  int64_t shortest_edge = 224;
  int64_t height = 224, width = 224;  // the output size (crop size, or the resize target)
  std::array<double, 3> mean{0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> std{0.26862954, 0.26130258, 0.27577711};
};

// The tower's defaults, overridden by MODEL_DIR/preprocessor_config.json when it exists.
ImageProcessorConfig image_processor_config(const std::string& model_dir, const VisionConfig& tower);

// The two halves of preprocessing, so that resized pixels can be cached (datasets/media_cache.h):
// the resized image as uint8 [3, height, width], and uint8 [..., 3, H, W] scaled and normalised.
torch::Tensor resize_image(const media::Image& image, const ImageProcessorConfig& config);
// The image resized to height x width (unchanged when it has that size), uint8 [3, height, width]:
// vision/resample.h's fixed-point bicubic, bit for bit torchvision's resize of a uint8 tensor (the
// Qwen2-VL processors of transformers 5). The policies above resize in float32 instead.
torch::Tensor resize_image_to(const media::Image& image, int64_t height, int64_t width);
torch::Tensor normalize_pixels(const torch::Tensor& pixels, const ImageProcessorConfig& config);

// normalize_pixels(resize_image(image)): [3, height, width] float32.
torch::Tensor preprocess_image(const media::Image& image, const ImageProcessorConfig& config);

}  // namespace vltune::vision
