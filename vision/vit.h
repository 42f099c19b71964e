// The ViT vision tower shared by CLIP and SigLIP (switches in VisionArch).
//
//   x  = patch_conv(pixels) [+ CLS] + pos          hidden_states[0] (after pre-LN for CLIP)
//   x += attn(ln1(x));  x += mlp(ln2(x))           hidden_states[i], one per layer
//   pooled = CLIP: post_ln(x[:, 0])  |  SigLIP: head(post_ln(x))  (attention pooling)
//
// Module names follow the HF checkpoints (embeddings.patch_embedding, encoder.layers.N.self_attn.
// q_proj, ...), so checkpoint keys map onto them by prefix alone.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/layers.h"
#include "vision/vision_arch.h"

namespace vltune::vision {

class VitAttentionImpl : public torch::nn::Module {
 public:
  VitAttentionImpl(const VisionConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);
  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  int64_t num_heads;
};
TORCH_MODULE(VitAttention);

class VitMlpImpl : public torch::nn::Module {
 public:
  VitMlpImpl(int64_t hidden, int64_t intermediate, std::string act, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);
  Linear fc1{nullptr}, fc2{nullptr};
  std::string act;
};
TORCH_MODULE(VitMlp);

class VitLayerImpl : public torch::nn::Module {
 public:
  VitLayerImpl(const VisionConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);
  LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  VitAttention self_attn{nullptr};
  VitMlp mlp{nullptr};
};
TORCH_MODULE(VitLayer);

// Patch convolution + [CLS] + position embeddings.
class VitEmbeddingsImpl : public torch::nn::Module {
 public:
  VitEmbeddingsImpl(const VisionConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& pixel_values);
  std::shared_ptr<torch::nn::Module> patch_embedding;  // holds patch_weight and patch_bias
  torch::Tensor patch_weight;                          // [hidden, channels, patch, patch]
  torch::Tensor patch_bias;                            // [hidden], SigLIP only
  torch::Tensor class_embedding;      // [hidden], CLIP only
  Embedding position_embedding{nullptr};
  int64_t image_size;
};
TORCH_MODULE(VitEmbeddings);

class VitEncoderImpl : public torch::nn::Module {
 public:
  VitEncoderImpl(const VisionConfig& c, torch::Dtype dtype);
  torch::nn::ModuleList layers;
};
TORCH_MODULE(VitEncoder);

// SigLIP's multi-head attention pooling: one learned probe attends over all patches.
class VitPoolingHeadImpl : public torch::nn::Module {
 public:
  VitPoolingHeadImpl(const VisionConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& hidden);
  torch::Tensor probe;  // [1, 1, hidden]
  std::shared_ptr<torch::nn::Module> attention;  // holds in_proj_* and out_proj, as in HF
  torch::Tensor in_proj_weight, in_proj_bias;    // [3h, h], [3h]: q, k, v stacked
  Linear out_proj{nullptr};
  LayerNorm layernorm{nullptr};
  VitMlp mlp{nullptr};
  int64_t num_heads;
};
TORCH_MODULE(VitPoolingHead);

class VisionTowerImpl : public torch::nn::Module {
 public:
  VisionTowerImpl(const VisionConfig& config, torch::Dtype dtype);

  // hidden_states[i] for each requested i (negative counts from the end of the num_layers + 1
  // states), concatenated on the feature dimension. Only the layers needed are run.
  torch::Tensor hidden_states(const torch::Tensor& pixel_values, const std::vector<int64_t>& layers);
  // The tower's pooled image embedding (CLIP: CLS after post-LN; SigLIP: attention-pooling head).
  torch::Tensor pooled(const torch::Tensor& pixel_values);

  const VisionConfig& config() const { return config_; }
  int64_t resolve_layer(int64_t layer) const;  // negative -> from the end; throws when out of range
  // Encoder layers recomputed in backward instead of keeping their activations
  // (core/activation_checkpoint.h); a forward without grad runs them plainly.
  void set_gradient_checkpointing(bool on) { gradient_checkpointing_ = on; }

  VitEmbeddings embeddings{nullptr};
  LayerNorm pre_layrnorm{nullptr};  // (sic) HF's spelling, CLIP only
  VitEncoder encoder{nullptr};
  LayerNorm post_layernorm{nullptr};
  VitPoolingHead head{nullptr};  // SigLIP with vision_use_head

 private:
  VisionConfig config_;
  bool gradient_checkpointing_ = false;
};
TORCH_MODULE(VisionTower);

}  // namespace vltune::vision
