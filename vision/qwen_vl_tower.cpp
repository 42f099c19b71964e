#include "vision/qwen_vl_tower.h"

#include <cmath>

#include "core/activation_checkpoint.h"
#include "core/error.h"

namespace vltune::vision {

namespace {
constexpr double kNormEps = 1e-6;  // the towers' norms and the merger's ln_q, fixed in transformers

// q·cos + rotate_half(q)·sin in fp32, cast back; x [S, heads, D], cos/sin [S, 1, D].
torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const auto f = x.to(torch::kFloat32);
  const int64_t half = f.size(-1) / 2;
  const auto rotated = torch::cat({-f.narrow(-1, half, half), f.narrow(-1, 0, half)}, -1);
  return (f * cos + rotated * sin).to(x.scalar_type());
}
}  // namespace

QwenNorm::QwenNorm(torch::nn::Module& parent, const std::string& name, int64_t dim, bool rms_norm, torch::Dtype dtype) {
  if (rms_norm) rms = parent.register_module(name, RMSNorm(dim, kNormEps, dtype));
  else layer = parent.register_module(name, LayerNorm(dim, kNormEps, dtype));
}

QwenVisionBlockImpl::QwenVisionBlockImpl(const QwenVisionConfig& c, torch::Dtype dtype)
    : num_heads(c.num_heads), act(c.hidden_act) {
  const int64_t width = c.hidden_size, inner = c.intermediate_size;
  norm1 = QwenNorm(*this, "norm1", width, c.arch.rms_norm, dtype);
  norm2 = QwenNorm(*this, "norm2", width, c.arch.rms_norm, dtype);
  attn = register_module("attn", std::make_shared<torch::nn::Module>());
  qkv = attn->register_module("qkv", Linear(LinearOptions{width, 3 * width, true, dtype}));
  proj = attn->register_module("proj", Linear(LinearOptions{width, width, true, dtype}));
  mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  if (c.arch.gated_mlp) {
    gate_proj = mlp->register_module("gate_proj", Linear(LinearOptions{width, inner, true, dtype}));
    up_proj = mlp->register_module("up_proj", Linear(LinearOptions{width, inner, true, dtype}));
    down_proj = mlp->register_module("down_proj", Linear(LinearOptions{inner, width, true, dtype}));
  } else {
    fc1 = mlp->register_module("fc1", Linear(LinearOptions{width, inner, true, dtype}));
    fc2 = mlp->register_module("fc2", Linear(LinearOptions{inner, width, true, dtype}));
  }
}

torch::Tensor QwenVisionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                           const SegmentPlan& segments) {
  const int64_t rows = x.size(0);
  const auto parts = qkv(norm1(x)).view({rows, 3, num_heads, -1}).unbind(1);  // 3 x [S, H, D]
  const auto c = cos.unsqueeze(1), s = sin.unsqueeze(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(parts[0].size(-1)));
  const auto attended = segments.attend(rotate(parts[0], c, s), rotate(parts[1], c, s), parts[2], scale);
  auto h = x + proj(attended.reshape({rows, -1}));
  const auto n = norm2(h);
  const auto mlp_out = gate_proj ? down_proj(activation(act, gate_proj(n)) * up_proj(n)) : fc2(activation(act, fc1(n)));
  return h + mlp_out;
}

QwenPatchMergerImpl::QwenPatchMergerImpl(const QwenVisionConfig& c, torch::Dtype dtype)
    : merged_width(c.hidden_size * c.merge_unit()) {
  ln_q = QwenNorm(*this, "ln_q", c.hidden_size, c.arch.rms_norm, dtype);
  mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  fc_in = mlp->register_module("0", Linear(LinearOptions{merged_width, merged_width, true, dtype}));
  fc_out = mlp->register_module("2", Linear(LinearOptions{merged_width, c.out_hidden_size, true, dtype}));
}

torch::Tensor QwenPatchMergerImpl::forward(const torch::Tensor& x) {
  return fc_out(activation("gelu", fc_in(ln_q(x).reshape({-1, merged_width}))));
}

QwenVisionTowerImpl::QwenVisionTowerImpl(const QwenVisionConfig& config, torch::Dtype dtype) : config_(config) {
  const auto& c = config;
  patch_embed = register_module("patch_embed", std::make_shared<torch::nn::Module>());
  auto proj = patch_embed->register_module("proj", std::make_shared<torch::nn::Module>());
  patch_weight = proj->register_parameter(
      "weight", torch::empty({c.hidden_size, c.in_channels, c.temporal_patch_size, c.patch_size, c.patch_size},
                             torch::TensorOptions().dtype(dtype)));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.depth; ++i) blocks->push_back(QwenVisionBlock(c, dtype));
  merger = register_module("merger", QwenPatchMerger(c, dtype));
  // The rotary embedding covers half a head: head_dim / 4 frequencies for rows, as many for columns.
  const int64_t dim = c.head_dim() / 2;
  inv_freq_ = 1.0 / torch::pow(c.rope_theta, torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / dim);
}

std::pair<torch::Tensor, torch::Tensor> QwenVisionTowerImpl::rotary(const std::vector<PatchGrid>& grids,
                                                                    torch::Device device) const {
  const auto positions = patch_rows_columns(grids, config_.spatial_merge_size);
  std::vector<int64_t> flat;
  flat.reserve(positions.size() * 2);
  for (const auto& p : positions) flat.insert(flat.end(), p.begin(), p.end());
  const auto pos = torch::tensor(flat, torch::kInt64).view({-1, 2}).to(torch::kFloat32);
  const auto freqs = (pos.unsqueeze(-1) * inv_freq_.view({1, 1, -1})).flatten(1);  // [S, head_dim / 2]
  const auto emb = torch::cat({freqs, freqs}, -1).to(device);
  return {emb.cos(), emb.sin()};
}

QwenVisionOutput QwenVisionTowerImpl::forward(const torch::Tensor& pixel_values, const std::vector<PatchGrid>& grids,
                                              const std::string& what) {
  const auto& c = config_;
  const int64_t patches = check_grids(grids, c.spatial_merge_size, "[vision] the grid of " + what);
  if (pixel_values.dim() != 2 || pixel_values.size(0) != patches || pixel_values.size(1) != c.patch_values())
    fail("[vision] ", what, " is ", pixel_values.sizes(), " but its grid (t, h, w) gives [", patches, ", ",
         c.patch_values(), "] (patches x channels·temporal_patch·patch·patch)");
  const auto device = patch_weight.device();
  auto x = torch::matmul(pixel_values.to(device, patch_weight.scalar_type()),
                         patch_weight.reshape({c.hidden_size, -1}).t());
  auto [cos, sin] = rotary(grids, device);

  const SegmentPlan frames(frame_lengths(grids), device);
  SegmentPlan windows;
  torch::Tensor unit_order;
  if (c.arch.windows) {
    const auto order = window_order(grids, c.spatial_merge_size, c.window_units());
    windows = SegmentPlan(order.window_lengths, device);
    // patch order: each unit's merge² patches stay together
    unit_order = torch::tensor(order.unit_order, torch::kInt64).to(device);
    const auto patch_order =
        (unit_order.unsqueeze(1) * c.merge_unit() + torch::arange(c.merge_unit(), unit_order.options())).flatten();
    x = x.index_select(0, patch_order);
    cos = cos.index_select(0, patch_order);
    sin = sin.index_select(0, patch_order);
  }
  for (int64_t i = 0; i < c.depth; ++i) {
    auto block = blocks->ptr<QwenVisionBlockImpl>(i);
    // by value: a checkpointed block runs again in backward, after this function has returned
    auto run = [block, cos = cos, sin = sin, segments = c.full_attention(i) ? frames : windows](const torch::Tensor& in) {
      return block->forward(in, cos, sin, segments);
    };
    x = gradient_checkpointing_ ? checkpointed_forward(*block, x, run) : run(x);
  }
  QwenVisionOutput out{x, merger(x)};
  if (unit_order.defined()) out.merged = out.merged.index_select(0, torch::argsort(unit_order));
  return out;
}

}  // namespace vltune::vision
