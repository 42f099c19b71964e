#include "vision/vit.h"

#include "core/activation_checkpoint.h"
#include "core/error.h"
#include "core/torch_compat.h"

namespace vltune::vision {

namespace {
torch::TensorOptions opts(torch::Dtype dtype) { return torch::TensorOptions().dtype(dtype); }

// [B, L, H*D] -> [B, H, L, D]
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, -1}).transpose(1, 2);
}
torch::Tensor merge_heads(const torch::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), -1});
}
}  // namespace

VitAttentionImpl::VitAttentionImpl(const VisionConfig& c, torch::Dtype dtype) : num_heads(c.num_heads) {
  const LinearOptions o{c.hidden_size, c.hidden_size, true, dtype};
  q_proj = register_module("q_proj", Linear(o));
  k_proj = register_module("k_proj", Linear(o));
  v_proj = register_module("v_proj", Linear(o));
  out_proj = register_module("out_proj", Linear(o));
}

torch::Tensor VitAttentionImpl::forward(const torch::Tensor& x) {
  auto q = split_heads(q_proj(x), num_heads);
  auto k = split_heads(k_proj(x), num_heads);
  auto v = split_heads(v_proj(x), num_heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return out_proj(merge_heads(compat::scaled_dot_product_attention(q, k, v, std::nullopt, scale)));
}

VitMlpImpl::VitMlpImpl(int64_t hidden, int64_t intermediate, std::string act_, torch::Dtype dtype)
    : act(std::move(act_)) {
  fc1 = register_module("fc1", Linear(LinearOptions{hidden, intermediate, true, dtype}));
  fc2 = register_module("fc2", Linear(LinearOptions{intermediate, hidden, true, dtype}));
}

torch::Tensor VitMlpImpl::forward(const torch::Tensor& x) { return fc2(activation(act, fc1(x))); }

VitLayerImpl::VitLayerImpl(const VisionConfig& c, torch::Dtype dtype) {
  layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps, dtype));
  self_attn = register_module("self_attn", VitAttention(c, dtype));
  layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps, dtype));
  mlp = register_module("mlp", VitMlp(c.hidden_size, c.intermediate_size, c.hidden_act, dtype));
}

torch::Tensor VitLayerImpl::forward(const torch::Tensor& x) {
  auto h = x + self_attn(layer_norm1(x));
  return h + mlp(layer_norm2(h));
}

VitEmbeddingsImpl::VitEmbeddingsImpl(const VisionConfig& c, torch::Dtype dtype) : image_size(c.image_size) {
  patch_embedding = register_module("patch_embedding", std::make_shared<torch::nn::Module>());
  patch_weight = patch_embedding->register_parameter(
      "weight", torch::empty({c.hidden_size, c.num_channels, c.patch_size, c.patch_size}, opts(dtype)));
  if (c.arch.patch_bias)
    patch_bias = patch_embedding->register_parameter("bias", torch::empty({c.hidden_size}, opts(dtype)));
  if (c.arch.class_token) class_embedding = register_parameter("class_embedding", torch::empty({c.hidden_size}, opts(dtype)));
  position_embedding = register_module("position_embedding", Embedding(c.num_positions(), c.hidden_size, dtype));
}

torch::Tensor VitEmbeddingsImpl::forward(const torch::Tensor& pixel_values) {
  if (pixel_values.dim() != 4 || pixel_values.size(2) != image_size || pixel_values.size(3) != image_size)
    fail("[vision] pixel_values must be [batch, channels, ", image_size, ", ", image_size, "], got ",
         pixel_values.sizes());
  const int64_t patch = patch_weight.size(-1);
  auto x = torch::conv2d(pixel_values.to(patch_weight.scalar_type()), patch_weight, patch_bias, {patch, patch});
  x = x.flatten(2).transpose(1, 2);  // [B, patches, hidden]
  if (class_embedding.defined()) x = torch::cat({class_embedding.expand({x.size(0), 1, -1}), x}, 1);
  return x + position_embedding->weight.unsqueeze(0);
}

VitEncoderImpl::VitEncoderImpl(const VisionConfig& c, torch::Dtype dtype) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) layers->push_back(VitLayer(c, dtype));
}

VitPoolingHeadImpl::VitPoolingHeadImpl(const VisionConfig& c, torch::Dtype dtype) : num_heads(c.num_heads) {
  const int64_t h = c.hidden_size;
  probe = register_parameter("probe", torch::empty({1, 1, h}, opts(dtype)));
  attention = register_module("attention", std::make_shared<torch::nn::Module>());
  in_proj_weight = attention->register_parameter("in_proj_weight", torch::empty({3 * h, h}, opts(dtype)));
  in_proj_bias = attention->register_parameter("in_proj_bias", torch::empty({3 * h}, opts(dtype)));
  out_proj = attention->register_module("out_proj", Linear(LinearOptions{h, h, true, dtype}));
  layernorm = register_module("layernorm", LayerNorm(h, c.layer_norm_eps, dtype));
  mlp = register_module("mlp", VitMlp(h, c.intermediate_size, c.hidden_act, dtype));
}

torch::Tensor VitPoolingHeadImpl::forward(const torch::Tensor& hidden) {
  auto w = in_proj_weight.chunk(3, 0);
  auto b = in_proj_bias.chunk(3, 0);
  auto query = probe.expand({hidden.size(0), 1, -1});
  auto q = split_heads(torch::nn::functional::linear(query, w[0], b[0]), num_heads);
  auto k = split_heads(torch::nn::functional::linear(hidden, w[1], b[1]), num_heads);
  auto v = split_heads(torch::nn::functional::linear(hidden, w[2], b[2]), num_heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto x = out_proj(merge_heads(compat::scaled_dot_product_attention(q, k, v, std::nullopt, scale)));
  x = x + mlp(layernorm(x));
  return x.select(1, 0);
}

VisionTowerImpl::VisionTowerImpl(const VisionConfig& config, torch::Dtype dtype) : config_(config) {
  embeddings = register_module("embeddings", VitEmbeddings(config, dtype));
  if (config.arch.pre_layernorm)
    pre_layrnorm = register_module("pre_layrnorm", LayerNorm(config.hidden_size, config.layer_norm_eps, dtype));
  encoder = register_module("encoder", VitEncoder(config, dtype));
  post_layernorm = register_module("post_layernorm", LayerNorm(config.hidden_size, config.layer_norm_eps, dtype));
  if (config.use_head) head = register_module("head", VitPoolingHead(config, dtype));
}

int64_t VisionTowerImpl::resolve_layer(int64_t layer) const {
  const int64_t states = config_.num_layers + 1;
  const int64_t index = layer < 0 ? states + layer : layer;
  if (index < 0 || index >= states)
    fail("[vision] feature layer ", layer, " is out of range for a tower with ", config_.num_layers,
         " layers (hidden states 0..", config_.num_layers, ", or -1..-", states, ")");
  return index;
}

torch::Tensor VisionTowerImpl::hidden_states(const torch::Tensor& pixel_values, const std::vector<int64_t>& layers) {
  std::vector<int64_t> wanted;
  for (int64_t layer : layers) wanted.push_back(resolve_layer(layer));
  const int64_t last = *std::max_element(wanted.begin(), wanted.end());

  std::vector<torch::Tensor> states{embeddings(pixel_values)};
  if (pre_layrnorm) states[0] = pre_layrnorm(states[0]);
  for (int64_t i = 0; i < last; ++i) {
    auto layer = encoder->layers->ptr<VitLayerImpl>(i);
    if (gradient_checkpointing_)
      states.push_back(checkpointed_forward(*layer, states.back(), [layer](const torch::Tensor& x) { return layer->forward(x); }));
    else
      states.push_back(layer->forward(states.back()));
  }

  std::vector<torch::Tensor> picked;
  for (int64_t index : wanted) picked.push_back(states[index]);
  return picked.size() == 1 ? picked[0] : torch::cat(picked, -1);
}

torch::Tensor VisionTowerImpl::pooled(const torch::Tensor& pixel_values) {
  auto last = hidden_states(pixel_values, {-1});
  if (config_.arch.class_token) return post_layernorm(last.select(1, 0));
  if (!head) fail("[vision] this ", config_.arch.model_type, " tower has no pooling head (vision_use_head is false)");
  return head(post_layernorm(last));
}

}  // namespace vltune::vision
