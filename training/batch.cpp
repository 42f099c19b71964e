#include "training/batch.h"

#include <algorithm>

namespace vltune::training {

namespace {

bool any_trainable(torch::nn::Module& module) {
  for (const auto& p : module.parameters())
    if (p.requires_grad()) return true;
  return false;
}

// The defined tensors of `samples`' `field`, concatenated on `device` (undefined: none).
torch::Tensor concatenated(const std::vector<datasets::PreparedSample>& samples,
                           torch::Tensor datasets::PreparedSample::*field, const torch::Device& device) {
  std::vector<torch::Tensor> parts;
  for (const auto& s : samples)
    if ((s.*field).defined()) parts.push_back(s.*field);
  return parts.empty() ? torch::Tensor() : torch::cat(parts).to(device, /*non_blocking=*/true);
}

bool patch_layout(const Batch& batch) { return batch.image_grid_thw.defined() || batch.video_grid_thw.defined(); }

}  // namespace

Batch collate(const std::vector<datasets::PreparedSample>& samples, int64_t pad_id, const torch::Device& device) {
  Batch batch;
  const auto batch_size = static_cast<int64_t>(samples.size());
  int64_t length = 0;
  for (const auto& s : samples) length = std::max<int64_t>(length, static_cast<int64_t>(s.input_ids.size()));
  auto ids = torch::full({batch_size, length}, std::max<int64_t>(pad_id, 0), torch::kInt64);
  auto mask = torch::zeros({batch_size, length}, torch::kInt64);
  auto labels = torch::full({batch_size, length}, -100, torch::kInt64);
  for (int64_t b = 0; b < batch_size; ++b) {
    const auto& s = samples[b];
    const auto n = static_cast<int64_t>(s.input_ids.size());
    ids[b].narrow(0, 0, n).copy_(torch::tensor(s.input_ids, torch::kInt64));
    labels[b].narrow(0, 0, n).copy_(torch::tensor(s.labels, torch::kInt64));
    mask[b].narrow(0, 0, n).fill_(1);
    batch.tokens += n;
    batch.target_tokens += std::count_if(s.labels.begin() + 1, s.labels.end(), [](int64_t l) { return l != -100; });
    const bool frames = !s.image_grid_thw.defined();  // the patch layout's pixels go into pixel_values
    batch.pixels.push_back(frames && s.pixels.defined() ? s.pixels.to(device, /*non_blocking=*/true) : torch::Tensor());
    batch.video.push_back(s.video);
  }
  using S = datasets::PreparedSample;
  batch.image_grid_thw = concatenated(samples, &S::image_grid_thw, device);
  if (batch.image_grid_thw.defined()) batch.pixel_values = concatenated(samples, &S::pixels, device);
  batch.pixel_values_videos = concatenated(samples, &S::pixel_values_videos, device);
  batch.video_grid_thw = concatenated(samples, &S::video_grid_thw, device);
  batch.second_per_grid_ts = concatenated(samples, &S::second_per_grid_ts, device);
  batch.input_ids = ids.to(device);
  batch.attention_mask = mask.to(device);
  batch.labels = labels.to(device);
  return batch;
}

torch::Tensor visual_tokens(multimodal::VisionLanguageModelImpl& model, const Batch& batch,
                            const multimodal::VideoPooling& pooling) {
  std::vector<torch::Tensor> parts;
  if (!model.vision_tower) return {};
  torch::AutoGradMode grad(any_trainable(*model.vision_tower) || any_trainable(*model.multi_modal_projector));
  for (std::size_t i = 0; i < batch.pixels.size(); ++i) {
    if (!batch.pixels[i].defined()) continue;
    const auto dtype = model.multi_modal_projector->parameters().front().scalar_type();
    const auto pixels = batch.pixels[i].to(dtype);
    parts.push_back(batch.video[i] ? model.video_features(pixels, pooling)
                                   : model.image_features(pixels).reshape({-1, model.config().text.hidden_size}));
  }
  if (parts.empty()) return {};
  return torch::cat(parts).unsqueeze(0);
}

torch::Tensor summed_loss(multimodal::VisionLanguageModelImpl& model, const Batch& batch,
                          const multimodal::VideoPooling& pooling) {
  torch::Tensor hidden;
  if (patch_layout(batch)) {  // the family encodes patches and grids, and gives the position ids
    const auto dtype = model.language_model->embed_tokens->weight.scalar_type();
    auto as_model = [&](const torch::Tensor& t) { return t.defined() ? t.to(dtype) : t; };
    multimodal::ForwardInputs inputs;
    inputs.input_ids = batch.input_ids;
    inputs.attention_mask = batch.attention_mask;
    inputs.pixel_values = as_model(batch.pixel_values);
    inputs.image_grid_thw = batch.image_grid_thw;
    inputs.pixel_values_videos = as_model(batch.pixel_values_videos);
    inputs.video_grid_thw = batch.video_grid_thw;
    inputs.second_per_grid_ts = batch.second_per_grid_ts;
    multimodal::ForwardOutput unused;
    hidden = model.decoder_hidden(inputs, unused);
  } else {
    const auto embeds = model.embed_inputs(batch.input_ids, visual_tokens(model, batch, pooling));
    hidden = model.language_model->forward(embeds, batch.attention_mask);
  }
  return model.next_token_loss_sum(hidden, batch.labels);
}

}  // namespace vltune::training
