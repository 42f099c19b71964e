// The fuzz targets' bodies, shared by the libFuzzer entry points (fuzz/fuzz_<name>.cpp, built by
// `make fuzz`) and by tests/test_fuzz_regressions.cpp, which replays every committed crasher in
// fuzz/regressions/<name>/ in the normal build. Each feeds one input to a public reader: a
// vltune::Error is the expected way to refuse it; any other exception escapes to libFuzzer (an
// uncaught exception is a finding), and a crash or a sanitizer report is one too.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/peft_io.h"
#include "core/error.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "datasets/media_cache.h"
#include "multimodal/model_config.h"
#include "multimodal/model_loader.h"
#include "vision/media/image_header.h"
#include "vision/media/media.h"

namespace vltune::fuzz {

// The input as a file: an anonymous in-memory file named through /proc/self/fd.
class MemoryFile {
 public:
  MemoryFile(const uint8_t* data, std::size_t size) : fd_(::memfd_create("vltune-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0 || ::write(fd_, data, size) != static_cast<ssize_t>(size)) fail("[fuzz] memfd_create/write failed");
  }
  ~MemoryFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// A scratch folder for readers that take a folder, under /dev/shm, emptied for each input.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::path("/dev/shm") / ("vltune-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

inline void write_bytes(const std::filesystem::path& path, const uint8_t* data, std::size_t size) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

template <class Body>
void refused_is_fine(Body&& body) {
  try {
    body();
  } catch (const Error&) {
  }
}

// The safetensors reader: header, offsets, every tensor materialised.
inline void safetensors_input(const uint8_t* data, std::size_t size) {
  refused_is_fine([&] {
    const MemoryFile file(data, size);
    const auto reader = safetensors::File::open(file.path());
    for (const auto& info : reader->tensors()) {
      const auto tensor = reader->tensor(info.name);
      if (tensor.numel() > 0) (void)tensor.flatten()[0].item<double>();
    }
  });
}

// config.json -> ModelConfig, then the size the model would have.
inline void model_config_input(const uint8_t* data, std::size_t size) {
  refused_is_fine([&] {
    const auto document = parse_json_text(std::string_view(reinterpret_cast<const char*>(data), size), "[fuzz] config.json");
    (void)multimodal::parse_model_config(document, "config.json").parameter_count();
  });
}

// A PEFT adapter folder onto the tiny LLaVA fixture: the input is a 4-byte little-endian length,
// that many bytes of adapter_config.json, then adapter_model.safetensors.
inline void peft_adapter_input(const uint8_t* data, std::size_t size, const std::string& base_model_dir) {
  static auto loaded = multimodal::load_model(base_model_dir);
  if (size < 4) return;
  const uint32_t length = data[0] | data[1] << 8 | data[2] << 16 | static_cast<uint32_t>(data[3]) << 24;
  if (length > size - 4) return;
  const auto dir = scratch() / "adapter";
  std::filesystem::create_directories(dir);
  write_bytes(dir / "adapter_config.json", data + 4, length);
  write_bytes(dir / "adapter_model.safetensors", data + 4 + length, size - 4 - length);
  refused_is_fine([&] { (void)adapters::load_peft_adapter(dir.string(), *loaded.model, true); });
}

// A media cache's index.json over one valid shard holding m0 = uint8 [1, 3, 8, 8].
inline void media_cache_input(const uint8_t* data, std::size_t size) {
  datasets::MediaSettings settings;
  settings.image.policy = vision::ResizePolicy::kResize;
  settings.image.height = settings.image.width = 8;
  const auto dir = scratch() / "cache";
  static const bool shard = [&] {
    std::filesystem::create_directories(dir);
    safetensors::write_file((dir / "media-00000.safetensors").string(), {{"m0", torch::zeros({1, 3, 8, 8}, torch::kUInt8)}});
    return true;
  }();
  (void)shard;
  write_bytes(dir / "index.json", data, size);
  refused_is_fine([&] {
    const auto cache = datasets::MediaCache::open(dir.string(), settings);
    (void)cache.find("a.png");
  });
}

// An image file: the header reader, then decoding when the header states a small size.
inline void image_input(const uint8_t* data, std::size_t size) {
  const auto header = media::read_image_header(data, size);
  if (!header || !media::available()) return;
  media::MediaLimits limits;
  limits.max_width = limits.max_height = 512;
  refused_is_fine([&] {
    const MemoryFile file(data, size);
    (void)media::decode_image(file.path(), limits);
  });
}

}  // namespace vltune::fuzz
