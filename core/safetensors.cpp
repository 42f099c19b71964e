#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_view.h"
#include "core/lookup.h"

namespace vltune::safetensors {

namespace {

const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, torch::ScalarType>> table = {
      {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
      {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},  {"I32", torch::kInt32},
      {"I16", torch::kInt16},   {"I8", torch::kInt8},     {"U8", torch::kUInt8},
      {"BOOL", torch::kBool}};
  return table;
}

// A file descriptor closed on every path out of File::open.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The bytes a tensor of `shape` and `element`-byte elements needs, with every product checked: a
// shape whose byte count wraps around 64 bits (e.g. [2^62] of F32, which would wrap to 0) is an
// error, as is one whose element count LibTorch cannot index. Zero-sized dimensions are checked
// like the others.
uint64_t checked_bytes(const std::vector<int64_t>& shape, std::size_t element, const std::string& where) {
  uint64_t product = element;  // of the non-zero dimensions
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim < 0) fail(where, ": negative dimension ", dim, " in shape");
    if (dim == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(product, static_cast<uint64_t>(dim), &product) ||
        product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(where, ": shape is too large to address");
  }
  return empty ? 0 : product;
}

TensorInfo parse_entry(const std::string& name, const nlohmann::json& entry, const std::string& where) {
  if (!entry.is_object()) fail(where, ": expected an object with dtype, shape and data_offsets");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key)) fail(where, ": missing key '", key, "'");
  const auto& dtype = entry["dtype"];
  const auto& shape = entry["shape"];
  const auto& offsets = entry["data_offsets"];
  if (!dtype.is_string()) fail(where, ": 'dtype' must be a string");
  if (!shape.is_array()) fail(where, ": 'shape' must be an array of integers");
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    fail(where, ": 'data_offsets' must be two non-negative integers [begin, end]");
  TensorInfo info;
  info.name = name;
  try {
    info.dtype = dtype_from_name(dtype.get<std::string>());
  } catch (const Error& e) {
    fail(where, ": ", e.what());
  }
  for (const auto& dim : shape) {
    if (!dim.is_number_integer()) fail(where, ": 'shape' must be an array of integers");
    info.shape.push_back(dim.get<int64_t>());
  }
  info.begin = offsets[0].get<uint64_t>();
  info.end = offsets[1].get<uint64_t>();
  if (info.begin > info.end) fail(where, ": data_offsets begin ", info.begin, " is after end ", info.end);
  const uint64_t expected = checked_bytes(info.shape, torch::elementSize(info.dtype), where);
  if (info.end - info.begin != expected)
    fail(where, ": shape ", shape.dump(), " of ", dtype.get<std::string>(), " needs ", expected,
         " bytes but data_offsets span ", info.end - info.begin);
  return info;
}

}  // namespace

torch::ScalarType dtype_from_name(const std::string& name) {
  return lookup_by_name(dtype_table(), name, [](const auto& row) { return row.first; }, "unknown dtype").second;
}

std::string dtype_name(torch::ScalarType dtype) {
  for (const auto& [text, value] : dtype_table())
    if (value == dtype) return text;
  fail("[safetensors] dtype ", c10::toString(dtype), " cannot be stored in safetensors");
}

std::shared_ptr<File> File::open(const std::string& path) {
  const std::string where = "[safetensors] " + path;
  // O_NONBLOCK: a FIFO opens at once (and is then refused) instead of waiting for a writer.
  Fd fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (fd.fd < 0) fail(where, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) fail(where, ": cannot stat: ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(where, ": not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) fail(where, ": file is ", size, " bytes, too short to hold the 8-byte header length (truncated?)");

  std::shared_ptr<File> file(new File());
  file->path_ = path;
  file->map_ = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.fd, 0);
  if (file->map_ == MAP_FAILED) {
    file->map_ = nullptr;
    fail(where, ": mmap failed: ", std::strerror(errno));
  }
  file->map_size_ = size;
  file->self_ = file;
  const auto* bytes = static_cast<const uint8_t*>(file->map_);

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > kMaxHeaderBytes)
    fail(where, ": header length ", header_len, " exceeds the ", kMaxHeaderBytes, "-byte limit (corrupt or not a safetensors file)");
  if (header_len > size - 8)
    fail(where, ": header length ", header_len, " runs past the end of the ", size, "-byte file (truncated?)");

  const nlohmann::json header =
      parse_json_text(std::string_view(reinterpret_cast<const char*>(bytes + 8), header_len), where + ": header");
  if (!header.is_object()) fail(where, ": header must be a JSON object");

  file->data_ = bytes + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(where, ": __metadata__ must be an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) fail(where, ": __metadata__ value for '", key, "' must be a string");
        file->metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    TensorInfo info = parse_entry(name, entry, cat(where, ": tensor '", name, "'"));
    if (info.end > data_size)
      fail(where, ": tensor '", name, "' spans bytes [", info.begin, ", ", info.end, ") but the data section holds only ",
           data_size, " bytes (truncated?)");
    file->tensors_.push_back(std::move(info));
  }

  std::vector<const TensorInfo*> by_offset;
  for (const auto& info : file->tensors_) by_offset.push_back(&info);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  const TensorInfo* furthest = nullptr;  // the tensor reaching furthest so far, in offset order
  for (const TensorInfo* cur : by_offset) {
    if (cur->end == cur->begin) continue;
    if (furthest && cur->begin < furthest->end)
      fail(where, ": tensors '", furthest->name, "' [", furthest->begin, ", ", furthest->end, ") and '", cur->name,
           "' [", cur->begin, ", ", cur->end, ") overlap");
    if (!furthest || cur->end > furthest->end) furthest = cur;
  }
  std::sort(file->tensors_.begin(), file->tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  return file;
}

File::~File() {
  if (map_) ::munmap(map_, map_size_);
}

const TensorInfo* File::find(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& info, const std::string& key) { return info.name < key; });
  return (it != tensors_.end() && it->name == name) ? &*it : nullptr;
}

torch::Tensor File::tensor(const std::string& name) const {
  const TensorInfo* info = find(name);
  if (!info) fail("[safetensors] ", path_, ": no tensor named '", name, "'");
  auto options = torch::TensorOptions().dtype(info->dtype);
  void* ptr = const_cast<uint8_t*>(data_ + info->begin);
  const std::size_t element = torch::elementSize(info->dtype);
  if (info->end == info->begin) return torch::empty(info->shape, options);
  if (reinterpret_cast<uintptr_t>(ptr) % element != 0) {
    auto copy = torch::empty(info->shape, options);
    std::memcpy(copy.data_ptr(), ptr, info->end - info->begin);
    return copy;
  }
  // The deleter holds the mapping alive for as long as any view of it exists.
  auto keep_alive = self_.lock();
  return torch::from_blob(ptr, info->shape, [keep_alive](void*) {}, options);
}

void write_file(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> payloads;
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") fail("[safetensors] ", path, ": '__metadata__' is reserved and cannot name a tensor");
    if (header.contains(name)) fail("[safetensors] ", path, ": tensor name '", name, "' appears twice");
    auto payload = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = payload.numel() * payload.element_size();
    header[name] = {{"dtype", dtype_name(payload.scalar_type())},
                    {"shape", payload.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    payloads.push_back(payload);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));

  AtomicFile out(path);
  out.write(length, sizeof(length));
  out.write(text);
  for (const auto& payload : payloads) out.write(payload.data_ptr(), payload.numel() * payload.element_size());
  out.commit();
}

}  // namespace vltune::safetensors
