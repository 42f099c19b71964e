// The format and size an image file's header states, read from its first bytes without decoding
// it, so a 31 KB PNG claiming 16000x16000 pixels is refused before 768 MB are allocated for them.
// Knows PNG, JPEG, WebP (lossy, lossless, extended) and BMP: the formats vltune decodes. Torch-
// and OpenCV-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace vltune::media {

struct ImageHeader {
  std::string format;  // "PNG", "JPEG", "WebP", "BMP"
  int64_t width = 0;
  int64_t height = 0;
};

// nullopt when the bytes are none of the formats above, or their header is cut short.
std::optional<ImageHeader> read_image_header(const uint8_t* data, std::size_t size);

}  // namespace vltune::media
