// IDX files (the MNIST family's format), gzip'ed as Debian ships them: a big-endian magic
// 0x0000080N (uint8 data, N dimensions), N big-endian uint32 dimensions, then the data.
// Read with zlib; a build without zlib gets idx_file_unavailable.cpp, which throws.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vltune::datasets {

struct Idx {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

Idx read_idx(const std::string& path, int expected_dims);  // throws naming the file

}  // namespace vltune::datasets
