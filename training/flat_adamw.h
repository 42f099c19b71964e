// AdamW over a flat arena. Every trainable tensor becomes a view into one contiguous fp32 buffer,
// and its gradient a view into a second one, grouped so that each parameter group is one
// contiguous range: an update is then a handful of kernels per group, zeroing the gradients one
// fill, clipping one norm, and a distributed all-reduce would be one call.
//
// The update is torch.optim.AdamW's, op for op (so results are identical to it):
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
// On CUDA with LibTorch 2.x each group is one fused kernel (at::_fused_adamw_, the same update).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace vltune::training {

struct ParamGroupOptions {
  double lr_scale = 1.0;  // multiplies the scheduled learning rate
  double weight_decay = 0.0;
};

struct AdamWOptions {
  double lr = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.0;  // the default group's
};

class FlatAdamW {
 public:
  // `group_of(name)` picks each tensor's group options; tensors with equal options share a group.
  // The tensors are re-pointed into the arena (their values kept) and given arena gradients; they
  // share the arena's version counter, so any write to the arena bumps their versions.
  FlatAdamW(const std::vector<std::pair<std::string, torch::Tensor>>& params, AdamWOptions options,
            const std::function<ParamGroupOptions(const std::string&)>& group_of);

  void zero_grad() { grads_.zero_(); }
  // Scales the gradients so their global L2 norm is at most max_norm; returns the norm before.
  double clip_grad_norm(double max_norm);
  void step(double lr);  // one update at learning rate lr (the schedule's value for this step)

  int64_t steps() const { return step_; }
  const torch::Tensor& values() const { return values_; }
  const torch::Tensor& grads() const { return grads_; }
  // The moment buffers, shared with the optimizer (checkpoints read and restore them).
  torch::Tensor exp_avg_view() const { return exp_avg_; }
  torch::Tensor exp_avg_sq_view() const { return exp_avg_sq_; }
  void set_steps(int64_t steps) { step_ = steps; }
  std::size_t num_groups() const { return groups_.size(); }

 private:
  struct Group {
    ParamGroupOptions options;
    int64_t begin = 0, end = 0;
  };
  AdamWOptions options_;
  std::vector<Group> groups_;
  torch::Tensor values_, grads_, exp_avg_, exp_avg_sq_;
  torch::Tensor step_number_;  // step_ as a one-element tensor on the arena's device (the fused kernel reads it)
  int64_t step_ = 0;
};

// The learning-rate factor at `step` of `total` (HF's schedules): linear warm-up from 0 over
// `warmup` steps, then cosine (to 0 at the end), linear (to 0) or constant.
double schedule_factor(const std::string& kind, int64_t step, int64_t warmup, int64_t total);

}  // namespace vltune::training
