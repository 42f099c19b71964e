// A micro-batch: prepared samples padded to one length, and the model's loss on it.
//
// Padding is on the right (ids = pad id, mask 0, labels -100), as for training. Visual tokens
// are produced per sample in batch order (an image sample's images, a video sample's pooled
// frames) and concatenated, which is the order the image-token positions take row-major over the
// batch, so image and video samples mix freely in one batch. In the patch layout (datasets/prepare.h)
// the samples' patches and grids are concatenated the same way, as transformers batches them, and
// the model's own forward encodes them (with its position ids).
//
// Packed (data.packing, training/packing.h): the samples are laid end to end in rows of at most
// `pack_length` tokens; the mask numbers each row's samples 1, 2, ..., position_ids restart at 0 per
// sample, each sample's first label is -100, and the visual tokens follow the samples' row-major order.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "datasets/prepare.h"
#include "multimodal/llava.h"

namespace vltune::training {

struct Batch {
  torch::Tensor input_ids, attention_mask, labels;  // [B, L] on the model's device
  torch::Tensor position_ids;                       // [B, L] when packed (undefined: 0..L-1 per row)
  std::vector<torch::Tensor> pixels;                // per sample (undefined for text-only samples)
  std::vector<bool> video;
  // The patch layout: every sample's patches and grids, concatenated in batch order (undefined: none).
  torch::Tensor pixel_values, image_grid_thw, pixel_values_videos, video_grid_thw, second_per_grid_ts;
  int64_t tokens = 0;          // non-padding tokens
  int64_t target_tokens = 0;   // tokens whose label trains (the loss' denominator)
};

// One padded row per sample, or with `pack_length` > 0 the samples packed into rows of at most that many tokens.
Batch collate(const std::vector<datasets::PreparedSample>& samples, int64_t pad_id, const torch::Device& device,
              int64_t pack_length = 0);

// The batch's visual tokens [1, total, hidden] in image-token order (undefined when it has none).
// Runs without autograd when nothing in the vision tower or projector trains.
torch::Tensor visual_tokens(multimodal::VisionLanguageModelImpl& model, const Batch& batch,
                            const multimodal::VideoPooling& pooling);

// Summed cross-entropy over the batch's target tokens (fp32 scalar), for a caller to normalise.
torch::Tensor summed_loss(multimodal::VisionLanguageModelImpl& model, const Batch& batch,
                          const multimodal::VideoPooling& pooling);

}  // namespace vltune::training
