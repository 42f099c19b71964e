// The LLaMA-family decoder (Llama, Mistral, Qwen2; differences in DecoderArch):
//   h = embed(ids)
//   per layer:  h += o_proj(attn(rope(q_proj(rms1(h))), rope(k_proj(·)), v_proj(·), mask))
//               h += down_proj(silu(gate_proj(rms2(h))) ⊙ up_proj(rms2(h)))
//   out = rms_final(h)
// GQA shares each of the num_kv_heads keys/values among num_heads / num_kv_heads query heads. The
// mask is causal, drops padded keys, and (per layer) limits keys to a sliding window.
// With a KVCache, each layer's keys and values (after RoPE) are kept, so a forward over new
// positions past..past+L-1 attends to all earlier ones without recomputing them: generation.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "core/layers.h"
#include "language/decoder_arch.h"

namespace vltune::language {

// The decoder's attention mask over keys 0..T-1 (attention_mask [B, T]) for the queries at
// positions past..T-1, built on `device` (default: the mask's). `additive` [B, 1, T - past, T] is 0
// where query i may attend key j and the dtype's lowest value elsewhere: causal, padded keys
// excluded, and keys older than a sliding window excluded when given. A query row with no key at
// all (a left-padded position) gets what the decoder's EmptyRowRule says (decoder_arch.h: eager's
// uniform average over all keys, or SDPA's zeros); `empty_rows` [B, 1, T - past, 1] marks those rows
// so every attention kernel agrees on them (undefined when there are none). When nothing but causality applies (no padding, no window
// shorter than T, past 0) both are undefined and attention takes the fused causal kernel.
// Packed rows (training/packing.h) number their samples in attention_mask: 1, 2, ... for the
// tokens of the row's first, second, ... sample, 0 for padding; a query then sees only the keys of
// its own sample (a block-diagonal causal mask), and a 0/1 mask is the one-sample case.
// Which case applies is read back from where attention_mask lives: a mask on the CPU (moved to
// `device` without blocking) costs no device synchronisation, one on the device costs one.
struct AttentionMask {
  torch::Tensor additive;
  torch::Tensor empty_rows;
  bool plain_causal() const { return !additive.defined(); }
};
AttentionMask build_attention_mask(const torch::Tensor& attention_mask, const std::optional<int64_t>& window,
                                   torch::Dtype dtype, int64_t past = 0,
                                   std::optional<torch::Device> device = std::nullopt);

// What a decoder has seen: per layer the keys and values [B, num_kv_heads, T, head_dim] (RoPE
// applied, before the GQA repeat), and the attention mask [B, T] of those T positions. Empty at
// first; every forward given the cache appends its positions.
struct KVCache {
  struct Layer {
    torch::Tensor keys, values;
  };
  std::vector<Layer> layers;
  torch::Tensor attention_mask;

  int64_t length() const { return attention_mask.defined() ? attention_mask.size(1) : 0; }
  // Keeps batch rows `rows` [B'] (int64, repeats allowed) in that order: beam search's reordering.
  void select_rows(const torch::Tensor& rows);
};

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  LlamaAttentionImpl(const DecoderConfig& c, torch::Dtype dtype);
  // With `cache`, x holds the new positions only and the cached keys/values are extended.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const AttentionMask& mask, KVCache::Layer* cache = nullptr);
  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int64_t num_heads, num_kv_heads, head_dim;
  EmptyRowRule empty_rows;
};
TORCH_MODULE(LlamaAttention);

class LlamaMlpImpl : public torch::nn::Module {
 public:
  LlamaMlpImpl(const DecoderConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x);
  Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
  std::string act;
};
TORCH_MODULE(LlamaMlp);

class LlamaLayerImpl : public torch::nn::Module {
 public:
  LlamaLayerImpl(const DecoderConfig& c, torch::Dtype dtype);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const AttentionMask& mask, KVCache::Layer* cache = nullptr);
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaLayer);

class LlamaDecoderImpl : public torch::nn::Module {
 public:
  LlamaDecoderImpl(const DecoderConfig& config, torch::Dtype dtype);

  torch::Tensor embed(const torch::Tensor& input_ids) { return embed_tokens(input_ids); }
  // inputs_embeds [B, L, hidden], attention_mask [B, L] (1 = token, 0 = padding; undefined = all
  // tokens; packed rows: 1, 2, ... per sample, see build_attention_mask) -> [B, L, hidden]. Without padding this is the fused causal attention. The mask may stay
  // on the CPU (pinned, ideally) when the model is on a GPU: the step then never waits for the device.
  // With `cache`, the L positions follow the cache's (positions past..past+L-1, attending to the
  // cached keys too) and are appended to it; the outputs equal those of one forward over all.
  // `position_ids` (default past..past+L-1) may be [B, L], or [3, B, L] for M-RoPE (language/mrope.h).
  torch::Tensor forward(const torch::Tensor& inputs_embeds, const torch::Tensor& attention_mask,
                        KVCache* cache = nullptr, const torch::Tensor& position_ids = {});

  const DecoderConfig& config() const { return config_; }
  // Layers recomputed in backward instead of keeping their activations (core/activation_checkpoint.h);
  // a forward with a KV cache or without grad runs them plainly.
  void set_gradient_checkpointing(bool on) { gradient_checkpointing_ = on; }

  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers;
  RMSNorm norm{nullptr};

 private:
  DecoderConfig config_;
  bool gradient_checkpointing_ = false;
  // fp32 rotary frequencies from the config (not a checkpoint tensor); moved to the inputs' device
  // on first use, so later steps copy nothing from the host.
  torch::Tensor inv_freq_;
};
TORCH_MODULE(LlamaDecoder);

}  // namespace vltune::language
