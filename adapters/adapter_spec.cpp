#include "adapters/adapter_spec.h"

#include <cmath>

#include "core/error.h"

namespace vltune::adapters {

void check_rank(int64_t rank, const std::string& where) {
  if (rank < 1 || rank > kMaxAdapterRank) fail(where, ": rank ", rank, " must be between 1 and ", kMaxAdapterRank);
}

double AdapterSpec::scaling() const {
  return rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

}  // namespace vltune::adapters
