// Built instead of idx_file.cpp when zlib was not found at configure time.
#include "core/error.h"
#include "datasets/builtin/idx_file.h"

namespace vltune::datasets {

Idx read_idx(const std::string& path, int) {
  fail("[fashion-mnist] cannot read ", path, ": this vltune was built without zlib (install zlib1g-dev and reconfigure)");
}

}  // namespace vltune::datasets
