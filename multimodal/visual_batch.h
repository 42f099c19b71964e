// The fixed-size layout's visual tokens for several entries at once (training's micro-batch,
// generation's batch of prompts): every image and every clip frame of one size goes through the
// vision tower and projector in one pass, then each entry takes its own rows back, a clip's frames
// pooled on their own (VisionLanguageModelImpl::pool_video_features).
//
//   entry pixels          its tokens
//   images [N, 3, H, W]   image_features of its N images, flattened: [N * tokens_per_image, hidden]
//   frames [T, 3, H, W]   its frames' features pooled as video_features pools: [tokens, hidden]
//   undefined             undefined (a text-only entry)
//
// Entries of another size (never made by the fixed-size preprocessing) keep one pass each.
// Measured on an H200: one pass per sample made a 64-sample training step 389-525 ms, one pass
// per batch 24-33 ms (docs/performance.md, "Small models").
#pragma once
#include <torch/torch.h>

#include <vector>

#include "multimodal/llava.h"

namespace vltune::multimodal {

// `video[i]` says whether entry i's pixels are a clip's frames. Runs under the caller's grad mode.
std::vector<torch::Tensor> visual_tokens_per_entry(VisionLanguageModelImpl& model, const std::vector<torch::Tensor>& pixels,
                                                   const std::vector<bool>& video, const VideoPooling& pooling);

}  // namespace vltune::multimodal
