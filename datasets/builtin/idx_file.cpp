#include "datasets/builtin/idx_file.h"

#include <zlib.h>

#include "core/error.h"

namespace vltune::datasets {

Idx read_idx(const std::string& path, int expected_dims) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) fail("[fashion-mnist] ", path, ": cannot open (is the dataset-fashion-mnist package installed?)");
  auto read = [&](void* buffer, unsigned size) { return gzread(file, buffer, size) == static_cast<int>(size); };
  uint8_t magic[4];
  Idx idx;
  bool ok = read(magic, 4) && magic[0] == 0 && magic[1] == 0 && magic[2] == 8 && magic[3] == expected_dims;
  uint64_t total = 1;
  for (int d = 0; ok && d < expected_dims; ++d) {
    uint8_t b[4];
    ok = read(b, 4);
    idx.dims.push_back((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]);
    total *= idx.dims.back();
  }
  if (ok && total <= (uint64_t{1} << 31)) {
    idx.data.resize(total);
    ok = read(idx.data.data(), static_cast<unsigned>(total));
  }
  gzclose(file);
  if (!ok) fail("[fashion-mnist] ", path, ": not a ", expected_dims, "-dimensional uint8 IDX file, or truncated");
  return idx;
}

}  // namespace vltune::datasets
