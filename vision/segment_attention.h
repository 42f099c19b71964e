// Attention within segments only (block-diagonal attention, "varlen"): rows [S, heads, head_dim]
// hold consecutive segments (frames, windows, images), and each row attends to the rows of its own
// segment, without a mask. Segments of equal length are stacked into one batched kernel call, so
// the cost grows with the sum of the squared lengths, never with the square of their sum.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace vltune::vision {

// Built once per forward (the rows' device), used by every layer that attends within the same
// segments.
class SegmentPlan {
 public:
  SegmentPlan() = default;
  SegmentPlan(const std::vector<int64_t>& lengths, torch::Device device);
  int64_t rows() const { return rows_; }

  // softmax(q kᵀ · scale) v per segment; q, k, v [S, heads, head_dim] -> [S, heads, head_dim].
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale) const;

 private:
  struct Group {
    int64_t length;
    torch::Tensor rows;  // [segments * length] int64: the rows of this length's segments, in order
  };
  std::vector<Group> groups_;
  torch::Tensor inverse_;  // row r of the output is row inverse_[r] of the groups' concatenation
  int64_t rows_ = 0;
};

}  // namespace vltune::vision
