#include "adapters/adapter_spec.h"

#include <cmath>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/lookup.h"

namespace vltune::adapters {

namespace {
const std::vector<std::pair<std::string, Method>>& method_table() {
  static const std::vector<std::pair<std::string, Method>> table = {
      {"lora", Method::kLora}, {"dora", Method::kDora},   {"magnitude", Method::kMagnitude},
      {"vera", Method::kVera}, {"dvora", Method::kDvora}, {"full", Method::kFull}};
  return table;
}
}  // namespace

std::string method_name(Method method) {
  for (const auto& [name, value] : method_table())
    if (value == method) return name;
  fail("[adapters] unknown method enum");
}

Method parse_method(const std::string& name, const std::string& where) {
  return lookup_by_name(method_table(), name, [](const auto& row) { return row.first; },
                        where + ": unknown adapter method").second;
}

void check_rank(int64_t rank, const std::string& where) {
  if (rank < 1 || rank > kMaxAdapterRank) fail(where, ": rank ", rank, " must be between 1 and ", kMaxAdapterRank);
}

double AdapterSpec::scaling() const {
  return rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

}  // namespace vltune::adapters
