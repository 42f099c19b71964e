#include "training/packing.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace vltune::training {

std::vector<PackedRow> pack_rows(const std::vector<int64_t>& lengths, int64_t budget) {
  if (budget < 1) fail("[train] data.max_length ", budget, " leaves no room to pack samples into rows");
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  std::vector<PackedRow> rows;
  for (const auto i : order) {
    if (lengths[i] > budget)
      fail("[train] sample ", i, " of a micro-batch has ", lengths[i], " tokens, more than data.max_length ", budget,
           " (each packed row holds at most data.max_length tokens)");
    auto row = std::find_if(rows.begin(), rows.end(), [&](const PackedRow& r) { return r.length + lengths[i] <= budget; });
    if (row == rows.end()) row = rows.insert(rows.end(), PackedRow{});
    row->samples.push_back(i);
    row->length += lengths[i];
  }
  for (auto& row : rows) std::sort(row.samples.begin(), row.samples.end());
  return rows;
}

std::vector<PackedRow> one_sample_per_row(const std::vector<int64_t>& lengths) {
  std::vector<PackedRow> rows;
  for (std::size_t i = 0; i < lengths.size(); ++i) rows.push_back({{i}, lengths[i]});
  return rows;
}

std::vector<std::size_t> row_major_order(const std::vector<PackedRow>& rows) {
  std::vector<std::size_t> order;
  for (const auto& row : rows) order.insert(order.end(), row.samples.begin(), row.samples.end());
  return order;
}

}  // namespace vltune::training
