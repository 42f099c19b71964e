#include "vision/segment_attention.h"

#include <map>

#include "core/error.h"
#include "core/torch_compat.h"

namespace vltune::vision {

SegmentPlan::SegmentPlan(const std::vector<int64_t>& lengths, torch::Device device) {
  std::map<int64_t, std::vector<int64_t>> starts;  // length -> first rows of its segments
  for (int64_t length : lengths) {
    if (length <= 0) fail("[vision] an attention segment of ", length, " rows");
    starts[length].push_back(rows_);
    rows_ += length;
  }
  std::vector<int64_t> order;
  order.reserve(rows_);
  for (const auto& [length, firsts] : starts) {
    const std::size_t begin = order.size();
    for (int64_t first : firsts)
      for (int64_t r = 0; r < length; ++r) order.push_back(first + r);
    std::vector<int64_t> rows(order.begin() + static_cast<std::ptrdiff_t>(begin), order.end());
    groups_.push_back({length, torch::tensor(rows, torch::kInt64).to(device)});
  }
  if (groups_.size() > 1) {
    std::vector<int64_t> inverse(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) inverse[order[i]] = static_cast<int64_t>(i);
    inverse_ = torch::tensor(inverse, torch::kInt64).to(device);
  }
}

torch::Tensor SegmentPlan::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  double scale) const {
  if (q.size(0) != rows_)
    fail("[vision] attention over ", q.size(0), " rows, but the segments cover ", rows_);
  const int64_t heads = q.size(1), dim = q.size(2);
  std::vector<torch::Tensor> outputs;
  for (const auto& group : groups_) {
    const int64_t count = group.rows.size(0) / group.length;
    auto take = [&](const torch::Tensor& x) {
      // [count * length, H, D] -> [count, H, length, D]
      const auto rows = groups_.size() == 1 ? x : x.index_select(0, group.rows);
      return rows.view({count, group.length, heads, dim}).transpose(1, 2);
    };
    auto out = compat::scaled_dot_product_attention(take(q), take(k), take(v), std::nullopt, scale);
    outputs.push_back(out.transpose(1, 2).reshape({count * group.length, heads, dim}));
  }
  if (groups_.size() == 1) return outputs[0];
  return torch::cat(outputs, 0).index_select(0, inverse_);
}

}  // namespace vltune::vision
