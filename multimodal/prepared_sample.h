// One sample as the model takes it: token ids and labels, and its pixels in the layout the model
// family chooses (frames, or patches with their grids). datasets/prepare.h makes it (where it is
// also datasets::PreparedSample); generation (multimodal/generate.h) and the trainer read it.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vltune::multimodal {

struct PreparedSample {
  std::string id;
  std::vector<int64_t> input_ids, labels;
  // frames: images [N, 3, H, W] or frames [T, 3, H, W], normalised; patches: the images' patches
  // [patches, values], in order. Undefined for none.
  torch::Tensor pixels;
  bool video = false;
  // The patch layout's grids and clip, named as the model's ForwardInputs name them.
  torch::Tensor image_grid_thw;       // [images, 3] int64
  torch::Tensor pixel_values_videos;  // [patches, values]
  torch::Tensor video_grid_thw;       // [1, 3] int64
  torch::Tensor second_per_grid_ts;   // [1] float32: seconds per temporal patch
};

}  // namespace vltune::multimodal
