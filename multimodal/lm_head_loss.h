// The language-model head and its cross-entropy, fused and chunked over tokens, so training never
// holds the [tokens x vocab] logits whole (nor their fp32 copy, log-softmax and gradient):
//   rows      = the decoder's last hidden states at the positions whose next label is not -100
//   loss_sum  = sum_i ( logsumexp_v(z_iv) - z_i,target(i) ),   z = float(rows W^T)  (W: [vocab, hidden])
//   d/d rows  = g (softmax(z) - onehot(target)) W,  d/dW = g (softmax(z) - onehot(target))^T rows
// computed `chunk_rows` rows at a time; the backward recomputes each chunk's logits and softmax
// from the saved rows. z is rounded to the model's dtype before the fp32 softmax, and the
// gradient of z to the model's dtype before the two matmuls, exactly as lm_head(hidden).float() and
// cross_entropy do in autograd: the same values as the whole-logits path up to summation order.
#pragma once
#include <torch/torch.h>

namespace vltune::multimodal {

// Rows of logits per chunk for a vocabulary: about 2^26 fp32 logits (256 MiB) a chunk, at least 1.
int64_t lm_loss_chunk_rows(int64_t vocab);

// sum_i CE(rows_i W^T, targets_i), rows [N, hidden], weight [vocab, hidden], targets [N] int64 (all
// valid, on rows' device). Differentiable in rows and, where it requires grad, in weight.
torch::Tensor projected_cross_entropy_sum(const torch::Tensor& rows, const torch::Tensor& weight,
                                          const torch::Tensor& targets, int64_t chunk_rows);

// The positions of a [B, L] label tensor whose next label (labels[:, t + 1]) is not -100, flattened
// row-major, and those next labels: what the causal-LM loss sums over. Computed where labels are
// (CPU labels: no device sync), then moved to `device` through pinned memory, without blocking.
struct NextTokenTargets {
  torch::Tensor positions;  // [N] int64 indices into the flattened [B * L] hidden states
  torch::Tensor labels;     // [N] int64
  int64_t count = 0;
};
NextTokenTargets next_token_targets(const torch::Tensor& labels, const torch::Device& device);

}  // namespace vltune::multimodal
