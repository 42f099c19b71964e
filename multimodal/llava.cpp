#include "multimodal/llava.h"

#include <cmath>

#include "core/error.h"
#include "multimodal/lm_head_loss.h"
#include "multimodal/model_family.h"
#include "vision/media/media.h"

namespace vltune::multimodal {

VisionLanguageModelImpl::VisionLanguageModelImpl(const ModelConfig& config, torch::Dtype dtype, bool with_lm_head)
    : config_(config), family_(find_model_family(config.model_type)) {
  if (family_) family_->build(*this, dtype);
  language_model = register_module("language_model", language::LlamaDecoder(config.text, dtype));
  if (with_lm_head)
    lm_head = register_module("lm_head", Linear(LinearOptions{config.text.hidden_size, config.text.vocab_size, false, dtype}));
}

void VisionLanguageModelImpl::set_gradient_checkpointing(bool on) {
  language_model->set_gradient_checkpointing(on);
  if (vision_tower) vision_tower->set_gradient_checkpointing(on);
  if (visual) visual->set_gradient_checkpointing(on);
}

torch::Tensor VisionLanguageModelImpl::image_features(const torch::Tensor& pixel_values) {
  if (!vision_tower)
    fail("[model] pixel_values were given but ", config_.path,
         family_ ? " is a " + family_->name + " model, whose images go through forward() with their grid_thw"
                 : std::string(" describes a text-only model"));
  auto features = vision_tower->hidden_states(pixel_values, config_.vision_feature_layers);
  if (config_.vision_feature_select_strategy == "default") features = features.narrow(1, 1, features.size(1) - 1);
  return multi_modal_projector(features);
}

namespace {
// The side of the square patch grid the features form (CLS already dropped); throws otherwise.
int64_t grid_side(int64_t tokens, const VideoPooling& pooling) {
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(tokens))));
  if (side * side != tokens)
    fail("[video] spatial pooling needs a square grid of patch tokens, but each frame gives ", tokens,
         " (is vision_feature_select_strategy 'full' on a tower with a CLS token?)");
  if (pooling.spatial < 1 || side % pooling.spatial != 0)
    fail("[video] spatial_pool ", pooling.spatial, " must divide the ", side, "x", side, " patch grid");
  if (pooling.temporal != "concat" && pooling.temporal != "mean")
    fail("[video] temporal pooling must be concat or mean, not '", pooling.temporal, "'");
  return side;
}
}  // namespace

int64_t VisionLanguageModelImpl::tokens_per_video(int64_t frames, const VideoPooling& pooling) const {
  if (frames < 1 || frames > media::kMaxFramesPerClip)
    fail("[video] ", frames, " frames per clip: expected 1 to ", media::kMaxFramesPerClip);
  const int64_t side = grid_side(config_.tokens_per_image(), pooling) / pooling.spatial;
  return side * side * (pooling.temporal == "concat" ? frames : 1);
}

torch::Tensor VisionLanguageModelImpl::video_features(const torch::Tensor& frames, const VideoPooling& pooling) {
  if (frames.dim() != 4) fail("[video] frames must be [frames, channels, height, width], got ", frames.sizes());
  return pool_video_features(image_features(frames), pooling);
}

torch::Tensor VisionLanguageModelImpl::pool_video_features(const torch::Tensor& frame_features, const VideoPooling& pooling) {
  auto features = frame_features;  // [T, N, hidden]
  const int64_t count = features.size(0), hidden = features.size(2);
  const int64_t side = grid_side(features.size(1), pooling);
  if (pooling.spatial > 1) {
    auto grid = features.view({count, side, side, hidden}).permute({0, 3, 1, 2});
    grid = torch::avg_pool2d(grid, {pooling.spatial, pooling.spatial});
    features = grid.permute({0, 2, 3, 1}).reshape({count, -1, hidden});
  }
  return pooling.temporal == "mean" ? features.mean(0) : features.reshape({-1, hidden});
}

torch::Tensor VisionLanguageModelImpl::embed_inputs(const torch::Tensor& input_ids, const torch::Tensor& image_features,
                                                   const torch::Tensor& video_features) {
  const int64_t vocab = config_.text.vocab_size;
  auto slots = [&](const torch::Tensor& t, int64_t id) { return id >= 0 ? t == id : torch::zeros_like(t, torch::kBool); };
  // Checked where the ids live, with one read-back: none when they are on the CPU.
  auto image_mask = slots(input_ids, family_ ? config_.image_token_index : -1);
  auto video_mask = slots(input_ids, config_.video_token_index);
  // Image- and video-token ids may lie outside the vocabulary; their embeddings are replaced below anyway.
  auto ids = input_ids.masked_fill(image_mask.logical_or(video_mask), 0);
  const auto out_of_range = (ids < 0).logical_or(ids >= vocab);
  const auto counts = torch::stack({out_of_range.sum(), image_mask.sum(), video_mask.sum()}).cpu();
  if (counts[0].item<int64_t>() > 0)
    fail("[model] input_ids hold ids outside the vocabulary [0, ", vocab, "): ",
         std::get<0>(at::_unique(ids.masked_select(out_of_range))).slice(0, 0, 8));
  const int64_t n_image_tokens = counts[1].item<int64_t>(), n_video_tokens = counts[2].item<int64_t>();
  const int64_t n_features = image_features.defined() ? image_features.size(0) * image_features.size(1) : 0;
  if (n_image_tokens != n_features)
    fail("[model] input_ids hold ", n_image_tokens, " image tokens (id ", config_.image_token_index, ") but the images give ",
         n_features, " visual tokens (", image_features.defined() ? image_features.size(0) : 0, " images x ",
         image_features.defined() ? image_features.size(1) : config_.tokens_per_image(), ")");
  const int64_t n_video_features = video_features.defined() ? video_features.size(0) * video_features.size(1) : 0;
  if (n_video_tokens != n_video_features)
    fail("[model] input_ids hold ", n_video_tokens, " video tokens (id ", config_.video_token_index,
         ") but the videos give ", n_video_features, " visual tokens");
  const auto device = language_model->embed_tokens->weight.device();
  if (input_ids.device() != device) {  // only the caller's (pinned) ids move; the rest is rebuilt there
    const auto moved = input_ids.to(device, /*non_blocking=*/true);
    image_mask = slots(moved, family_ ? config_.image_token_index : -1);
    video_mask = slots(moved, config_.video_token_index);
    ids = moved.masked_fill(image_mask.logical_or(video_mask), 0);
  }
  auto embeds = language_model->embed(ids);
  if (n_features > 0)
    embeds = embeds.masked_scatter(image_mask.unsqueeze(-1).expand_as(embeds), image_features.to(embeds.scalar_type()));
  if (n_video_features > 0)
    embeds = embeds.masked_scatter(video_mask.unsqueeze(-1).expand_as(embeds), video_features.to(embeds.scalar_type()));
  return embeds;
}

torch::Tensor VisionLanguageModelImpl::lm_logits(const torch::Tensor& hidden) {
  if (lm_head) return lm_head(hidden);
  return torch::nn::functional::linear(hidden, language_model->embed_tokens->weight);
}

VisualTokens VisionLanguageModelImpl::encode_visual(const ForwardInputs& inputs) {
  if (!family_ && (inputs.pixel_values.defined() || inputs.pixel_values_videos.defined()))
    fail("[model] pixel values were given but ", config_.path, " describes a text-only model");
  return family_ ? family_->encode(*this, inputs) : VisualTokens{};
}

torch::Tensor VisionLanguageModelImpl::decoder_hidden(const ForwardInputs& inputs, ForwardOutput& out) {
  if (!inputs.input_ids.defined() || inputs.input_ids.dim() != 2)
    fail("[model] input_ids must be a [batch, length] tensor");
  const VisualTokens visual_tokens = encode_visual(inputs);
  out.image_features = visual_tokens.image_features;
  out.position_ids = visual_tokens.position_ids;
  auto embeds = embed_inputs(inputs.input_ids, visual_tokens.image, visual_tokens.video);
  const auto& positions = out.position_ids.defined() ? out.position_ids : inputs.position_ids;
  return language_model->forward(embeds, inputs.attention_mask, nullptr, positions);
}

ForwardOutput VisionLanguageModelImpl::forward(const ForwardInputs& inputs) {
  ForwardOutput out;
  const auto hidden = decoder_hidden(inputs, out);
  if (inputs.logits) {
    out.logits = lm_logits(hidden);
    if (inputs.labels.defined()) out.loss = causal_lm_loss(out.logits, inputs.labels);
  } else if (inputs.labels.defined()) {
    int64_t count = 0;
    out.loss = next_token_loss_sum(hidden, inputs.labels, 0, &count);
    out.loss = out.loss / static_cast<double>(count);  // 0 targets: NaN, as cross_entropy's mean gives
  }
  return out;
}

torch::Tensor VisionLanguageModelImpl::next_token_loss_sum(const torch::Tensor& hidden, const torch::Tensor& labels,
                                                           int64_t chunk_rows, int64_t* count) {
  if (hidden.dim() != 3 || labels.sizes() != hidden.sizes().slice(0, 2))
    fail("[model] labels ", labels.sizes(), " do not match the hidden states' [batch, length] ",
         hidden.sizes().slice(0, 2));
  const auto targets = next_token_targets(labels, hidden.device());
  if (count) *count = targets.count;
  const auto rows = hidden.reshape({-1, hidden.size(2)}).index_select(0, targets.positions);
  if (lm_head && lm_head->adapter)  // the adapter's own forward; only the target rows' logits exist
    return torch::nn::functional::cross_entropy(
        lm_logits(rows).to(torch::kFloat32), targets.labels,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  const auto& weight = lm_head ? lm_head->weight : language_model->embed_tokens->weight;
  return projected_cross_entropy_sum(rows, weight, targets.labels,
                                     chunk_rows > 0 ? chunk_rows : lm_loss_chunk_rows(weight.size(0)));
}

torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (labels.sizes() != logits.sizes().slice(0, 2))
    fail("[model] labels ", labels.sizes(), " do not match the logits' [batch, length] ", logits.sizes().slice(0, 2));
  const auto here = labels.to(logits.device(), /*non_blocking=*/true);  // CPU labels: no wait
  auto shifted = torch::constant_pad_nd(here, {0, 1}, -100).narrow(1, 1, labels.size(1));
  return torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat32).reshape({-1, logits.size(-1)}), shifted.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

}  // namespace vltune::multimodal
