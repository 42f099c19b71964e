#include "training/batch.h"

#include <algorithm>

#include "adapters/adapter.h"
#include "multimodal/visual_batch.h"
#include "training/packing.h"

namespace vltune::training {

namespace {

// Whether anything in `module` trains: its own parameters, or those of an adapter attached to one of
// its linears (adapters are not registered in the model, so parameters() does not list them).
bool any_trainable(torch::nn::Module& module) {
  auto trains = [](const std::vector<torch::Tensor>& params) {
    return std::any_of(params.begin(), params.end(), [](const torch::Tensor& p) { return p.requires_grad(); });
  };
  if (trains(module.parameters())) return true;
  for (const auto& child : module.modules()) {
    const auto* linear = dynamic_cast<const LinearImpl*>(child.get());
    const auto* adapter = linear ? dynamic_cast<const adapters::Adapter*>(linear->adapter) : nullptr;
    if (adapter && trains(adapter->parameters())) return true;
  }
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

Batch collate(const std::vector<datasets::PreparedSample>& batch_samples, int64_t pad_id, const torch::Device& device,
              int64_t pack_length) {
  std::vector<int64_t> lengths;
  for (const auto& s : batch_samples) lengths.push_back(static_cast<int64_t>(s.input_ids.size()));
  const auto rows = pack_length > 0 ? pack_rows(lengths, pack_length) : one_sample_per_row(lengths);
  std::vector<datasets::PreparedSample> samples;  // row-major: the order of the visual tokens
  for (const auto i : row_major_order(rows)) samples.push_back(batch_samples[i]);

  Batch batch;
  const auto batch_size = static_cast<int64_t>(rows.size());
  int64_t length = 0;
  for (const auto& row : rows) length = std::max(length, row.length);
  auto ids = torch::full({batch_size, length}, std::max<int64_t>(pad_id, 0), torch::kInt64);
  auto mask = torch::zeros({batch_size, length}, torch::kInt64);
  auto labels = torch::full({batch_size, length}, -100, torch::kInt64);
  auto positions = torch::zeros({batch_size, length}, torch::kInt64);
  for (int64_t r = 0, offset = 0; r < batch_size; ++r, offset = 0) {
    for (std::size_t k = 0; k < rows[r].samples.size(); ++k) {
      const auto& s = batch_samples[rows[r].samples[k]];
      const auto n = static_cast<int64_t>(s.input_ids.size());
      ids[r].narrow(0, offset, n).copy_(torch::tensor(s.input_ids, torch::kInt64));
      labels[r].narrow(0, offset, n).copy_(torch::tensor(s.labels, torch::kInt64));
      if (k > 0) labels[r][offset] = -100;  // the previous sample's last token predicts nothing
      mask[r].narrow(0, offset, n).fill_(static_cast<int64_t>(k + 1));
      positions[r].narrow(0, offset, n).copy_(torch::arange(n, torch::kInt64));
      offset += n;
    }
  }
  for (const auto& s : samples) {
    batch.tokens += static_cast<int64_t>(s.input_ids.size());
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
  if (pack_length > 0) batch.position_ids = positions.to(device);
  return batch;
}

// The samples' visual tokens in sample order, every image and clip frame in one pass
// (multimodal/visual_batch.h).
torch::Tensor visual_tokens(multimodal::VisionLanguageModelImpl& model, const Batch& batch,
                            const multimodal::VideoPooling& pooling) {
  if (!model.vision_tower) return {};
  torch::AutoGradMode grad(torch::GradMode::is_enabled() &&
                           (any_trainable(*model.vision_tower) || any_trainable(*model.multi_modal_projector)));
  std::vector<torch::Tensor> parts;
  for (const auto& tokens : multimodal::visual_tokens_per_entry(model, batch.pixels, batch.video, pooling))
    if (tokens.defined()) parts.push_back(tokens);
  return parts.empty() ? torch::Tensor() : torch::cat(parts).unsqueeze(0);
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
    inputs.position_ids = batch.position_ids;
    inputs.pixel_values = as_model(batch.pixel_values);
    inputs.image_grid_thw = batch.image_grid_thw;
    inputs.pixel_values_videos = as_model(batch.pixel_values_videos);
    inputs.video_grid_thw = batch.video_grid_thw;
    inputs.second_per_grid_ts = batch.second_per_grid_ts;
    multimodal::ForwardOutput unused;
    hidden = model.decoder_hidden(inputs, unused);
  } else {
    const auto embeds = model.embed_inputs(batch.input_ids, visual_tokens(model, batch, pooling));
    hidden = model.language_model->forward(embeds, batch.attention_mask, nullptr, batch.position_ids);
  }
  return model.next_token_loss_sum(hidden, batch.labels);
}

}  // namespace vltune::training
