#include "multimodal/lm_head_loss.h"

#include <algorithm>

#include "core/error.h"

namespace vltune::multimodal {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr int64_t kChunkLogits = int64_t{1} << 26;

// One chunk's logits as the whole-logits path rounds them: rows W^T in the model's dtype. The
// softmaxes below read them and compute in fp32 in one kernel, as .to(kFloat32) then softmax would.
torch::Tensor chunk_logits(const torch::Tensor& rows, const torch::Tensor& weight) { return torch::mm(rows, weight.t()); }

struct ProjectedCrossEntropy : torch::autograd::Function<ProjectedCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& rows, const torch::Tensor& weight,
                               const torch::Tensor& targets, int64_t chunk_rows) {
    const int64_t n = rows.size(0);
    auto loss = torch::zeros({}, rows.options().dtype(torch::kFloat32));
    for (int64_t start = 0; start < n; start += chunk_rows) {
      const int64_t len = std::min(chunk_rows, n - start);
      const auto log_probs = torch::log_softmax(chunk_logits(rows.narrow(0, start, len), weight), 1, torch::kFloat32);
      loss -= log_probs.gather(1, targets.narrow(0, start, len).unsqueeze(1)).sum();
    }
    ctx->save_for_backward({rows, weight, targets});
    ctx->saved_data["chunk_rows"] = chunk_rows;
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &rows = saved[0], &weight = saved[1], &targets = saved[2];
    const int64_t chunk_rows = ctx->saved_data["chunk_rows"].toInt(), n = rows.size(0);
    const auto scale = grads[0].to(torch::kFloat32);
    const bool weight_grad = weight.requires_grad();
    auto grad_rows = torch::empty_like(rows);
    auto grad_weight = weight_grad ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
    for (int64_t start = 0; start < n; start += chunk_rows) {
      const int64_t len = std::min(chunk_rows, n - start);
      const auto chunk = rows.narrow(0, start, len);
      auto probs = torch::softmax(chunk_logits(chunk, weight), 1, torch::kFloat32);
      probs.scatter_add_(1, targets.narrow(0, start, len).unsqueeze(1),
                         torch::full({len, 1}, -1.0, probs.options()));
      const auto grad_logits = probs.mul_(scale).to(rows.scalar_type());
      grad_rows.narrow(0, start, len).copy_(torch::mm(grad_logits, weight));
      if (weight_grad) grad_weight.add_(torch::mm(grad_logits.t(), chunk).to(torch::kFloat32));
    }
    return {grad_rows, weight_grad ? grad_weight.to(weight.scalar_type()) : torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

int64_t lm_loss_chunk_rows(int64_t vocab) { return std::max<int64_t>(1, kChunkLogits / std::max<int64_t>(1, vocab)); }

torch::Tensor projected_cross_entropy_sum(const torch::Tensor& rows, const torch::Tensor& weight,
                                          const torch::Tensor& targets, int64_t chunk_rows) {
  if (rows.dim() != 2 || weight.dim() != 2 || rows.size(1) != weight.size(1) || targets.dim() != 1 ||
      targets.size(0) != rows.size(0) || chunk_rows < 1)
    fail("[model] the loss's rows ", rows.sizes(), ", output weight ", weight.sizes(), " and targets ",
         targets.sizes(), " do not fit together");
  return ProjectedCrossEntropy::apply(rows, weight, targets, chunk_rows);
}

NextTokenTargets next_token_targets(const torch::Tensor& labels, const torch::Device& device) {
  if (labels.dim() != 2) fail("[model] labels must be a [batch, length] tensor, not ", labels.sizes());
  const auto next = torch::constant_pad_nd(labels, {0, 1}, -100).narrow(1, 1, labels.size(1)).reshape({-1});
  NextTokenTargets targets;
  targets.positions = (next != -100).nonzero().squeeze(1);
  targets.labels = next.index_select(0, targets.positions);
  targets.count = targets.positions.size(0);
  if (device.is_cpu()) return targets;
  // From pinned memory the copies are queued without waiting for the device; from pageable
  // memory CUDA would first wait for every kernel queued so far.
  targets.positions = targets.positions.pin_memory().to(device, /*non_blocking=*/true);
  targets.labels = targets.labels.pin_memory().to(device, /*non_blocking=*/true);
  return targets;
}

}  // namespace vltune::multimodal
