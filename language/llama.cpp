#include "language/llama.h"

#include "core/activation_checkpoint.h"
#include "core/error.h"
#include "core/torch_compat.h"
#include "language/mrope.h"
#include "language/rope.h"

namespace vltune::language {

namespace {
double lowest_value(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kFloat32: return std::numeric_limits<float>::lowest();
    case torch::kFloat64: return std::numeric_limits<double>::lowest();
    case torch::kBFloat16: return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    case torch::kFloat16: return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    default: fail("[language] attention needs a floating dtype, got ", c10::toString(dtype));
  }
}
}  // namespace

AttentionMask build_attention_mask(const torch::Tensor& attention_mask, const std::optional<int64_t>& window,
                                   torch::Dtype dtype, int64_t past, std::optional<torch::Device> device) {
  const auto target = device.value_or(attention_mask.device());
  const int64_t length = attention_mask.size(1), queries = length - past;
  // A window reaching past key 0 for every query has no effect.
  const bool windowed = window && *window < length;
  const int64_t span = windowed ? *window : length;
  // Real keys a query may see, counted per query as a difference of running sums over the keys:
  // a row with none is an empty row. Decided where the mask lives: on the CPU, without a device sync.
  const auto real = attention_mask.to(torch::kBool);
  const auto samples = attention_mask.to(torch::kInt64);  // packed rows number their samples 1, 2, ...
  const auto seen = real.to(torch::kInt64).cumsum(1);
  auto visible = seen.narrow(1, past, queries);
  if (windowed) visible = visible - torch::constant_pad_nd(seen, {span, 0}).narrow(1, past, queries);
  const auto empty_rows = visible == 0;  // [B, L - past]
  const auto flags = torch::stack({real.all(), empty_rows.any(), (samples > 1).any()}).cpu();  // one read-back (none on the CPU)
  const bool all_real = flags[0].item<bool>(), any_empty = flags[1].item<bool>(), packed = flags[2].item<bool>();
  if (all_real && !windowed && past == 0 && !packed) return {};  // plain causal

  const auto options = torch::TensorOptions().device(target);
  auto positions = torch::arange(length, options.dtype(torch::kInt64));
  auto query = positions.narrow(0, past, queries).view({-1, 1});
  auto key = positions.view({1, -1});
  auto allowed = key <= query;  // [L - past, L]
  if (windowed) allowed = allowed & (key > query - span);
  const auto real_keys = attention_mask.to(target, /*non_blocking=*/true).to(torch::kBool);
  allowed = allowed.unsqueeze(0) & real_keys.unsqueeze(1);  // [B, L - past, L]
  if (packed) {  // a query sees its own sample's keys only (a padding query, sample 0, keeps what it saw)
    const auto key_samples = samples.to(target, /*non_blocking=*/true);
    const auto query_samples = key_samples.narrow(1, past, queries).unsqueeze(2);
    allowed = allowed & (query_samples == key_samples.unsqueeze(1)).logical_or(query_samples == 0);
  }
  auto additive = torch::zeros(allowed.sizes(), options.dtype(dtype));
  AttentionMask mask{additive.masked_fill(allowed.logical_not(), lowest_value(dtype)).unsqueeze(1), {}};
  if (any_empty) mask.empty_rows = empty_rows.to(target, /*non_blocking=*/true).view({empty_rows.size(0), 1, -1, 1});
  return mask;
}

void KVCache::select_rows(const torch::Tensor& rows) {
  for (auto& layer : layers) {
    layer.keys = layer.keys.index_select(0, rows);
    layer.values = layer.values.index_select(0, rows);
  }
  if (attention_mask.defined()) attention_mask = attention_mask.index_select(0, rows);
}

LlamaAttentionImpl::LlamaAttentionImpl(const DecoderConfig& c, torch::Dtype dtype)
    : num_heads(c.num_heads), num_kv_heads(c.num_kv_heads), head_dim(c.head_dim), empty_rows(c.empty_rows) {
  q_proj = register_module("q_proj", Linear(LinearOptions{c.hidden_size, c.num_heads * c.head_dim, c.qkv_bias, dtype}));
  k_proj = register_module("k_proj", Linear(LinearOptions{c.hidden_size, c.num_kv_heads * c.head_dim, c.qkv_bias, dtype}));
  v_proj = register_module("v_proj", Linear(LinearOptions{c.hidden_size, c.num_kv_heads * c.head_dim, c.qkv_bias, dtype}));
  o_proj = register_module("o_proj", Linear(LinearOptions{c.num_heads * c.head_dim, c.hidden_size, c.o_bias, dtype}));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const AttentionMask& mask, KVCache::Layer* cache) {
  const int64_t batch = x.size(0), length = x.size(1);
  auto q = q_proj(x).view({batch, length, num_heads, head_dim}).transpose(1, 2);
  auto k = k_proj(x).view({batch, length, num_kv_heads, head_dim}).transpose(1, 2);
  auto v = v_proj(x).view({batch, length, num_kv_heads, head_dim}).transpose(1, 2);
  q = apply_rope(q, cos, sin);
  k = apply_rope(k, cos, sin);
  if (cache) {
    if (cache->keys.defined()) {
      k = torch::cat({cache->keys, k}, 2);
      v = torch::cat({cache->values, v}, 2);
    }
    cache->keys = k;
    cache->values = v;
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const auto additive = mask.plain_causal() ? std::nullopt : std::optional<torch::Tensor>(mask.additive);
  auto out = compat::scaled_dot_product_attention(q, k, v, additive, scale, /*causal=*/mask.plain_causal());
  if (mask.empty_rows.defined()) {
    const auto fill = empty_rows == EmptyRowRule::kSdpa
                          ? torch::zeros({1}, out.options())
                          : v.mean(-2, /*keepdim=*/true).repeat_interleave(num_heads / num_kv_heads, 1);
    out = torch::where(mask.empty_rows, fill, out);
  }
  return o_proj(out.transpose(1, 2).reshape({batch, length, num_heads * head_dim}));
}

LlamaMlpImpl::LlamaMlpImpl(const DecoderConfig& c, torch::Dtype dtype) : act(c.hidden_act) {
  gate_proj = register_module("gate_proj", Linear(LinearOptions{c.hidden_size, c.intermediate_size, c.mlp_bias, dtype}));
  up_proj = register_module("up_proj", Linear(LinearOptions{c.hidden_size, c.intermediate_size, c.mlp_bias, dtype}));
  down_proj = register_module("down_proj", Linear(LinearOptions{c.intermediate_size, c.hidden_size, c.mlp_bias, dtype}));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor& x) {
  return down_proj(activation(act, gate_proj(x)) * up_proj(x));
}

LlamaLayerImpl::LlamaLayerImpl(const DecoderConfig& c, torch::Dtype dtype) {
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, dtype));
  self_attn = register_module("self_attn", LlamaAttention(c, dtype));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, dtype));
  mlp = register_module("mlp", LlamaMlp(c, dtype));
}

torch::Tensor LlamaLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                      const AttentionMask& mask, KVCache::Layer* cache) {
  auto h = x + self_attn(input_layernorm(x), cos, sin, mask, cache);
  return h + mlp(post_attention_layernorm(h));
}

LlamaDecoderImpl::LlamaDecoderImpl(const DecoderConfig& config, torch::Dtype dtype) : config_(config) {
  embed_tokens = register_module("embed_tokens", Embedding(config.vocab_size, config.hidden_size, dtype));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_layers; ++i) layers->push_back(LlamaLayer(config, dtype));
  norm = register_module("norm", RMSNorm(config.hidden_size, config.rms_norm_eps, dtype));
  inv_freq_ = rope_inv_freq(config.rope, config.head_dim);
}

torch::Tensor LlamaDecoderImpl::forward(const torch::Tensor& inputs_embeds, const torch::Tensor& attention_mask,
                                        KVCache* cache, const torch::Tensor& position_ids) {
  const auto dtype = inputs_embeds.scalar_type();
  const auto device = inputs_embeds.device();
  const int64_t length = inputs_embeds.size(1);
  const auto mask = attention_mask.defined() ? attention_mask : torch::ones(inputs_embeds.sizes().slice(0, 2), torch::kInt64);
  if (mask.sizes() != inputs_embeds.sizes().slice(0, 2))
    fail("[language] attention_mask ", mask.sizes(), " does not match the inputs' [batch, length] ",
         inputs_embeds.sizes().slice(0, 2));
  const int64_t past = cache ? cache->length() : 0;
  auto key_mask = mask;
  if (cache) {  // the cache keeps its mask on the model's device, where beam search reorders it
    if (past > 0 && cache->attention_mask.size(0) != mask.size(0))
      fail("[language] the KV cache holds ", cache->attention_mask.size(0), " rows but the inputs have ",
           mask.size(0));
    key_mask = mask.to(device, /*non_blocking=*/true);
    if (past > 0) key_mask = torch::cat({cache->attention_mask, key_mask.to(cache->attention_mask.scalar_type())}, 1);
    cache->attention_mask = key_mask;
    cache->layers.resize(config_.num_layers);
  }
  if (inv_freq_.device() != device) inv_freq_ = inv_freq_.to(device);  // once: no copy in every step
  const auto positions = position_ids.defined()
                             ? position_ids.to(device, torch::kInt64, /*non_blocking=*/true)
                             : torch::arange(past, past + length, torch::TensorOptions().dtype(torch::kInt64).device(device));
  if (positions.size(-1) != length)
    fail("[language] position_ids ", positions.sizes(), " do not cover the inputs' ", length, " positions");
  auto [cos, sin] = positions.dim() == 3 ? mrope_cos_sin(inv_freq_, positions, config_.rope.mrope_section, dtype)
                                         : rope_cos_sin(inv_freq_, positions, dtype);

  std::map<std::optional<int64_t>, AttentionMask> masks;  // one per distinct window
  auto h = inputs_embeds;
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto window = config_.layer_window[i];
    auto it = masks.find(window);
    if (it == masks.end()) it = masks.emplace(window, build_attention_mask(key_mask, window, dtype, past, device)).first;
    auto layer = layers->ptr<LlamaLayerImpl>(i);
    if (gradient_checkpointing_ && !cache)
      h = checkpointed_forward(*layer, h, [layer, cos = cos, sin = sin, mask = it->second](const torch::Tensor& x) {
        return layer->forward(x, cos, sin, mask);
      });
    else
      h = layer->forward(h, cos, sin, it->second, cache ? &cache->layers[i] : nullptr);
  }
  return norm(h);
}

}  // namespace vltune::language
