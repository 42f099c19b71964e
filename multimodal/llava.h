// The vision-language model: LLaVA when the config has a vision tower, a plain causal LM when not.
//
//   image_features = projector(select(vision_tower.hidden_states[vision_feature_layer]))
//   embeds         = embed_tokens(input_ids), with the k-th image-token position replaced by the
//                    k-th visual token (row-major over the batch, as transformers does)
//   logits         = lm_head(decoder(embeds, attention_mask))        (lm_head tied or not)
//   loss           = mean cross-entropy of logits[:, t] against labels[:, t + 1], ignoring -100
//
// Module names (vision_tower, multi_modal_projector, language_model, lm_head) are vltune's
// canonical names; checkpoint_layouts.h maps each HF key layout onto them.
#pragma once
#include <torch/torch.h>

#include "language/llama.h"
#include "multimodal/model_config.h"
#include "multimodal/projector.h"
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
  torch::Tensor attention_mask;  // [B, L]; undefined = all ones
  torch::Tensor pixel_values;    // [N, C, H, W]; undefined = no images
  torch::Tensor labels;          // [B, L] int64 with -100 = ignored; undefined = no loss
};

struct ForwardOutput {
  torch::Tensor logits;          // [B, L, vocab]
  torch::Tensor loss;            // scalar (fp32), when labels were given
  torch::Tensor image_features;  // [N, tokens_per_image, hidden], when pixel_values were given
};

class VisionLanguageModelImpl : public torch::nn::Module {
 public:
  // `with_lm_head` false ties the output projection to the input embeddings.
  VisionLanguageModelImpl(const ModelConfig& config, torch::Dtype dtype, bool with_lm_head);

  ForwardOutput forward(const ForwardInputs& inputs);
  torch::Tensor image_features(const torch::Tensor& pixel_values);
  // One clip's frames [T, C, H, W] -> its visual tokens [tokens_per_video(T), hidden].
  torch::Tensor video_features(const torch::Tensor& frames, const VideoPooling& pooling);
  int64_t tokens_per_video(int64_t frames, const VideoPooling& pooling) const;
  // Token embeddings with image-token positions replaced by `image_features` (may be undefined).
  // input_ids may be on the CPU (checked there) or on the model's device (checked there: one sync).
  torch::Tensor embed_inputs(const torch::Tensor& input_ids, const torch::Tensor& image_features);
  torch::Tensor lm_logits(const torch::Tensor& hidden);

  const ModelConfig& config() const { return config_; }
  bool tied_embeddings() const { return !lm_head; }
  // Gradient checkpointing for the decoder's layers and the vision tower's encoder layers:
  // activations are recomputed in backward instead of kept (core/activation_checkpoint.h).
  void set_gradient_checkpointing(bool on);

  vision::VisionTower vision_tower{nullptr};
  Projector multi_modal_projector{nullptr};
  language::LlamaDecoder language_model{nullptr};
  Linear lm_head{nullptr};

 private:
  ModelConfig config_;
};
TORCH_MODULE(VisionLanguageModel);

// transformers' causal-LM loss: logits (in fp32) at t predict labels at t + 1; -100 is ignored.
torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace vltune::multimodal
