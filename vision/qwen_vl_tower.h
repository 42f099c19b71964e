// The Qwen2.5-VL and Qwen2-VL vision towers (switches in vision/qwen_vision_config.h):
//
//   x        = patch_embed(pixel_values)   Conv3d over (channels, 2 frames, 14, 14), as one matmul
//   rotary   2-D: half of each head's frequencies from the patch row, half from its column
//   Qwen2.5  merged tokens reordered window by window (qwen_vision_grid.h); blocks in
//            fullatt_block_indexes attend within their frame, the others within their window
//   Qwen2    every block attends within its frame
//   block    x += proj(attn(rotary(qkv(norm1(x)))));  x += mlp(norm2(x))
//   merger   mlp.2(gelu(mlp.0(ln_q(x) viewed as merge² patches per row)))   [tokens, out_hidden]
//            then the window order undone, so tokens follow the processor's order
// Attention never crosses an image, a frame or a window (vision/segment_attention.h). Module names
// follow the HF checkpoints (patch_embed.proj, blocks.N.attn.qkv, merger.mlp.0, ...).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/layers.h"
#include "vision/qwen_vision_config.h"
#include "vision/qwen_vision_grid.h"
#include "vision/segment_attention.h"

namespace vltune::vision {

// RMSNorm or LayerNorm (with bias), registered under one name.
struct QwenNorm {
  RMSNorm rms{nullptr};
  LayerNorm layer{nullptr};
  QwenNorm() = default;
  QwenNorm(torch::nn::Module& parent, const std::string& name, int64_t dim, bool rms_norm, torch::Dtype dtype);
  torch::Tensor operator()(const torch::Tensor& x) { return rms ? rms(x) : layer(x); }
};

class QwenVisionBlockImpl : public torch::nn::Module {
 public:
  QwenVisionBlockImpl(const QwenVisionConfig& c, torch::Dtype dtype);
  // x [S, width]; cos, sin [S, head_dim] (fp32)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const SegmentPlan& segments);
  QwenNorm norm1, norm2;
  std::shared_ptr<torch::nn::Module> attn, mlp;  // hold the projections, as in HF
  Linear qkv{nullptr}, proj{nullptr};
  Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};  // Qwen2.5-VL
  Linear fc1{nullptr}, fc2{nullptr};                                 // Qwen2-VL
  int64_t num_heads;
  std::string act;
};
TORCH_MODULE(QwenVisionBlock);

class QwenPatchMergerImpl : public torch::nn::Module {
 public:
  QwenPatchMergerImpl(const QwenVisionConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);  // [S, width] -> [S / merge², out_hidden]
  QwenNorm ln_q;
  std::shared_ptr<torch::nn::Module> mlp;
  Linear fc_in{nullptr}, fc_out{nullptr};  // "mlp.0", "mlp.2"
  int64_t merged_width;
};
TORCH_MODULE(QwenPatchMerger);

struct QwenVisionOutput {
  torch::Tensor last_hidden_state;  // [patches, width], before the merger, in the blocks' (window) order
  torch::Tensor merged;             // [patches / merge², out_hidden], in the processor's order
};

class QwenVisionTowerImpl : public torch::nn::Module {
 public:
  QwenVisionTowerImpl(const QwenVisionConfig& config, torch::Dtype dtype);

  // pixel_values [patches, channels·temporal·patch·patch] as the processor flattens them, grids
  // their (t, h, w); `what` names the input in errors (pixel_values, pixel_values_videos).
  QwenVisionOutput forward(const torch::Tensor& pixel_values, const std::vector<PatchGrid>& grids,
                           const std::string& what = "pixel_values");

  const QwenVisionConfig& config() const { return config_; }
  void set_gradient_checkpointing(bool on) { gradient_checkpointing_ = on; }

  std::shared_ptr<torch::nn::Module> patch_embed;  // holds proj.weight
  torch::Tensor patch_weight;                      // [width, channels, temporal, patch, patch]
  torch::nn::ModuleList blocks;
  QwenPatchMerger merger{nullptr};

 private:
  std::pair<torch::Tensor, torch::Tensor> rotary(const std::vector<PatchGrid>& grids, torch::Device device) const;
  QwenVisionConfig config_;
  torch::Tensor inv_freq_;  // [head_dim / 4] fp32
  bool gradient_checkpointing_ = false;
};
TORCH_MODULE(QwenVisionTower);

}  // namespace vltune::vision
