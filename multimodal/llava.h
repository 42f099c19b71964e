// The vision-language model: the shared assembly of every family, and a plain causal LM when the
// config has no vision side. What differs by family (multimodal/model_family.h) is the vision side:
//   LLaVA      image_features = projector(select(vision_tower.hidden_states[vision_feature_layer]))
//   Qwen2-VL   image/video tokens = visual(pixel_values, grid_thw) (vision/qwen_vl_tower.h), and
//              M-RoPE position ids (multimodal/qwen2_vl.h)
// and then, for all:
//   embeds         = embed_tokens(input_ids), with the k-th image-token position replaced by the
//                    k-th image token (row-major over the batch, as transformers does), video alike
//   logits         = lm_head(decoder(embeds, attention_mask, position_ids))  (lm_head tied or not)
//   loss           = mean cross-entropy of logits[:, t] against labels[:, t + 1], ignoring -100
//                    (training: multimodal/lm_head_loss.h, the head and loss fused over chunks of
//                    target positions, never holding the whole logits)
//
// Module names (vision_tower, multi_modal_projector, visual, language_model, lm_head) are vltune's
// canonical names; checkpoint_layouts.h maps each HF key layout onto them.
#pragma once
#include <torch/torch.h>

#include "language/llama.h"
#include "multimodal/model_config.h"
#include "multimodal/model_family.h"
#include "multimodal/projector.h"
#include "vision/qwen_vl_tower.h"
#include "vision/vit.h"

namespace vltune::multimodal {

// How a clip's frames become visual tokens: each frame's projected features, average-pooled over
// spatial x spatial patch blocks, then concatenated over frames or averaged ("mean").
struct VideoPooling {
  int64_t spatial = 1;
  std::string temporal = "concat";  // concat | mean
};

// The ids, mask and labels may stay on the CPU (pinned, ideally) with the model on a GPU: the ids
// are then checked there and every tensor moves without blocking, so the step never waits for the
// device.
struct ForwardInputs {
  torch::Tensor input_ids;       // [B, L] int64
  torch::Tensor attention_mask;  // [B, L]; undefined = all ones; packed rows number their samples 1, 2, ...
  // [B, L] int64 positions (packed rows: restarting at 0 per sample); undefined = 0..L-1. M-RoPE
  // families compute their own [3, B, L] from the ids, grids and mask whenever images or videos are given.
  torch::Tensor position_ids;
  torch::Tensor pixel_values;    // [N, C, H, W]; undefined = no images
  torch::Tensor labels;          // [B, L] int64 with -100 = ignored; undefined = no loss
  // Qwen2-VL's inputs, named as transformers names them: pixel_values is then [patches, values].
  torch::Tensor image_grid_thw;       // [images, 3] int64: (t, h, w) patches of each image
  torch::Tensor pixel_values_videos;  // [patches, values]
  torch::Tensor video_grid_thw;       // [videos, 3]
  torch::Tensor second_per_grid_ts;   // [videos]: seconds per temporal patch (time ids)
  // false: no logits; the loss (with labels) from the fused, chunked head and loss, as training has it.
  bool logits = true;
};

struct ForwardOutput {
  torch::Tensor logits;          // [B, L, vocab], unless inputs.logits was false
  torch::Tensor loss;            // scalar (fp32), when labels were given
  torch::Tensor image_features;  // [N, tokens_per_image, hidden] (Qwen: [tokens, hidden]), with pixel_values
  torch::Tensor position_ids;    // [3, B, L] for M-RoPE models (undefined: positions 0..L-1)
};

class VisionLanguageModelImpl : public torch::nn::Module {
 public:
  // `with_lm_head` false ties the output projection to the input embeddings.
  VisionLanguageModelImpl(const ModelConfig& config, torch::Dtype dtype, bool with_lm_head);

  ForwardOutput forward(const ForwardInputs& inputs);
  // The decoder's last hidden states [B, L, hidden] for the inputs (forward() without the head);
  // fills out's image_features and position_ids.
  torch::Tensor decoder_hidden(const ForwardInputs& inputs, ForwardOutput& out);
  // Summed next-token cross-entropy of `hidden` [B, L, hidden] against labels [B, L] (-100 ignored)
  // through the output projection, fused and chunked (multimodal/lm_head_loss.h; chunk_rows 0 =
  // lm_loss_chunk_rows(vocab)). An lm_head with an attached adapter goes through lm_logits() on the
  // target rows instead. Also returns the number of target tokens through `count` when given.
  torch::Tensor next_token_loss_sum(const torch::Tensor& hidden, const torch::Tensor& labels, int64_t chunk_rows = 0,
                                    int64_t* count = nullptr);
  // The family's visual tokens (and position ids) for the inputs: what forward() puts into the
  // embeddings; generation's prefill calls it. Empty for a text-only model without pixels.
  VisualTokens encode_visual(const ForwardInputs& inputs);
  torch::Tensor image_features(const torch::Tensor& pixel_values);
  // One clip's frames [T, C, H, W] -> its visual tokens [tokens_per_video(T), hidden].
  torch::Tensor video_features(const torch::Tensor& frames, const VideoPooling& pooling);
  // One clip's per-frame features [T, N, hidden] (image_features of its frames) -> its visual
  // tokens, pooled as video_features pools them; lets a batch put every frame through one pass.
  torch::Tensor pool_video_features(const torch::Tensor& frame_features, const VideoPooling& pooling);
  int64_t tokens_per_video(int64_t frames, const VideoPooling& pooling) const;
  // Token embeddings with image-token positions replaced by `image_features` (may be undefined),
  // [images, tokens, hidden], and video-token positions (Qwen) by `video_features` [1, tokens, hidden].
  // input_ids may be on the CPU (checked there) or on the model's device (checked there: one sync).
  torch::Tensor embed_inputs(const torch::Tensor& input_ids, const torch::Tensor& image_features,
                             const torch::Tensor& video_features = {});
  torch::Tensor lm_logits(const torch::Tensor& hidden);

  const ModelConfig& config() const { return config_; }
  bool tied_embeddings() const { return !lm_head; }
  // Gradient checkpointing for the decoder's layers and the vision tower's encoder layers:
  // activations are recomputed in backward instead of kept (core/activation_checkpoint.h).
  void set_gradient_checkpointing(bool on);

  vision::VisionTower vision_tower{nullptr};
  Projector multi_modal_projector{nullptr};
  vision::QwenVisionTower visual{nullptr};  // Qwen2-VL / Qwen2.5-VL: tower and merger
  language::LlamaDecoder language_model{nullptr};
  Linear lm_head{nullptr};

 private:
  ModelConfig config_;
  const ModelFamily* family_ = nullptr;  // nullptr: text-only
};
TORCH_MODULE(VisionLanguageModel);

// transformers' causal-LM loss: logits (in fp32) at t predict labels at t + 1; -100 is ignored.
torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace vltune::multimodal
