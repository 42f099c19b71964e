// safetensors files: a memory-mapped, validating reader and an atomic writer.
//
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape,
// data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data section. The reader
// checks every entry against the file before any tensor is touched, so a hostile or truncated
// file fails with an error that names it instead of reading out of bounds.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vltune::safetensors {

struct TensorInfo {
  std::string name;
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;
};

// Largest header accepted (the reference implementation's limit).
inline constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

torch::ScalarType dtype_from_name(const std::string& name);  // "BF16" -> kBFloat16; throws
std::string dtype_name(torch::ScalarType dtype);              // kBFloat16 -> "BF16"; throws

class File {
 public:
  // Maps `path` copy-on-write: tensors share the page cache, and writes to them (a merge, say)
  // never reach the file.
  static std::shared_ptr<File> open(const std::string& path);
  ~File();

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(const std::string& name) const;

  // The tensor's bytes as a CPU tensor: a zero-copy view when the data is aligned for its dtype,
  // otherwise an aligned copy. Throws naming the file when `name` is absent.
  torch::Tensor tensor(const std::string& name) const;

 private:
  File() = default;
  std::string path_;
  void* map_ = nullptr;
  uint64_t map_size_ = 0;
  const uint8_t* data_ = nullptr;  // start of the data section
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  std::weak_ptr<const File> self_;
};

// Writes `tensors` (any device, any layout; stored contiguous on CPU) atomically.
void write_file(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace vltune::safetensors
