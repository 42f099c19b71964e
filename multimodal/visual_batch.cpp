#include "multimodal/visual_batch.h"

#include <algorithm>

#include "core/error.h"

namespace vltune::multimodal {

std::vector<torch::Tensor> visual_tokens_per_entry(VisionLanguageModelImpl& model, const std::vector<torch::Tensor>& pixels,
                                                   const std::vector<bool>& video, const VideoPooling& pooling) {
  if (pixels.size() != video.size())
    fail("[visual] ", pixels.size(), " pixel entries but ", video.size(), " video flags");
  std::vector<torch::Tensor> tokens(pixels.size());
  std::vector<torch::Tensor> present;
  for (const auto& p : pixels)
    if (p.defined()) present.push_back(p);
  if (present.empty() || !model.vision_tower) return tokens;
  const bool one_size = std::all_of(present.begin(), present.end(), [&](const torch::Tensor& p) {
    return p.dim() == 4 && p.sizes().slice(1) == present.front().sizes().slice(1);
  });
  const auto dtype = model.multi_modal_projector->parameters().front().scalar_type();
  const int64_t hidden = model.config().text.hidden_size;
  const auto batched = one_size ? model.image_features(torch::cat(present).to(dtype)) : torch::Tensor();  // [all, tokens, hidden]
  int64_t offset = 0;
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    if (!pixels[i].defined()) continue;
    const int64_t count = pixels[i].size(0);
    const auto own = one_size ? batched.narrow(0, offset, count) : model.image_features(pixels[i].to(dtype));
    offset += count;
    tokens[i] = video[i] ? model.pool_video_features(own, pooling) : own.reshape({-1, hidden});
  }
  return tokens;
}

}  // namespace vltune::multimodal
