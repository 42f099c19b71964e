#include "training/flat_adamw.h"

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/torch_compat.h"

namespace vltune::training {

FlatAdamW::FlatAdamW(const std::vector<std::pair<std::string, torch::Tensor>>& params, AdamWOptions options,
                     const std::function<ParamGroupOptions(const std::string&)>& group_of)
    : options_(options) {
  if (params.empty()) fail("[optimizer] nothing to train: no trainable tensors");
  // Group by options, keeping the parameters' order inside each group.
  std::map<std::pair<double, double>, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto g = group_of(params[i].first);
    members[{g.lr_scale, g.weight_decay}].push_back(i);
  }
  int64_t total = 0;
  for (const auto& p : params) total += p.second.numel();
  const auto device = params.front().second.device();
  // The values first: each tensor's own storage is freed as it moves into the arena, so the
  // gradients and moments, allocated after, never sit beside a second copy of the parameters
  // (4 bytes per trained value less at the peak: full fine-tuning of a 7B decoder, 24 GiB).
  values_ = torch::empty({total}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  step_number_ = torch::zeros({1}, values_.options());

  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& [key, indices] : members) {
    Group group{{key.first, key.second}, offset, offset};
    for (std::size_t i : indices) {
      auto tensor = params[i].second;
      if (tensor.scalar_type() != torch::kFloat32 || tensor.device() != device)
        fail("[optimizer] ", params[i].first, " must be an fp32 master tensor on ", device, " (is ", tensor.scalar_type(), ")");
      const int64_t n = tensor.numel();
      auto value_view = values_.narrow(0, offset, n).view(tensor.sizes());
      value_view.copy_(tensor);
      tensor.set_data(value_view);
      // set_data leaves the tensor its own version counter; share the arena's, so every write to
      // the arena (an update, a restored checkpoint) counts as a change of the parameter, which
      // caches keyed on versions (DoRA's norm) rely on.
      tensor.unsafeGetTensorImpl()->set_version_counter(value_view.unsafeGetTensorImpl()->version_counter());
      offset += n;
    }
    group.end = offset;
    groups_.push_back(group);
  }
  grads_ = torch::zeros_like(values_);
  exp_avg_ = torch::zeros_like(values_);
  exp_avg_sq_ = torch::zeros_like(values_);
  offset = 0;
  for (const auto& [key, indices] : members)
    for (std::size_t i : indices) {
      auto tensor = params[i].second;
      tensor.mutable_grad() = grads_.narrow(0, offset, tensor.numel()).view(tensor.sizes());
      offset += tensor.numel();
    }
}

double FlatAdamW::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  const double norm = grads_.norm().item<double>();
  const double coefficient = max_norm / (norm + 1e-6);
  if (coefficient < 1.0) grads_.mul_(coefficient);
  return norm;
}

void FlatAdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bias_correction1 = 1 - std::pow(options_.beta1, static_cast<double>(step_));
  const double bias_correction2 = 1 - std::pow(options_.beta2, static_cast<double>(step_));
  step_number_.fill_(static_cast<double>(step_));  // on the device: no host sync
  for (const auto& group : groups_) {
    const int64_t n = group.end - group.begin;
    if (n == 0) continue;
    auto p = values_.narrow(0, group.begin, n);
    auto g = grads_.narrow(0, group.begin, n);
    auto m = exp_avg_.narrow(0, group.begin, n);
    auto v = exp_avg_sq_.narrow(0, group.begin, n);
    const double group_lr = lr * group.options.lr_scale;
    if (compat::fused_adamw(p, g, m, v, step_number_, group_lr, options_.beta1, options_.beta2,
                            group.options.weight_decay, options_.eps))
      continue;
    p.mul_(1 - group_lr * group.options.weight_decay);
    m.mul_(options_.beta1).add_(g, 1 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
    auto denom = (v.sqrt() / std::sqrt(bias_correction2)).add_(options_.eps);
    p.addcdiv_(m, denom, -group_lr / bias_correction1);
  }
  // The fused kernel writes the arena without counting a version (seen with LibTorch 2.11 on
  // CUDA); count one, as the unfused ops do, so caches keyed on versions see the update.
  values_.unsafeGetTensorImpl()->bump_version();
}

double schedule_factor(const std::string& kind, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (kind == "constant") return 1.0;
  const double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
  if (kind == "cosine") return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
  if (kind == "linear") return std::max(0.0, static_cast<double>(total - step) / static_cast<double>(std::max<int64_t>(1, total - warmup)));
  fail("[schedule] unknown schedule '", kind, "' (expected cosine, linear or constant)");
}

}  // namespace vltune::training
