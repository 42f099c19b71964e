#include "vision/media/image_header.h"

#include <cstring>

namespace vltune::media {

namespace {

uint32_t big_endian(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}
uint32_t little_endian(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}
bool starts_with(const uint8_t* data, std::size_t size, std::size_t at, const char* text) {
  const std::size_t n = std::strlen(text);
  return size >= at + n && std::memcmp(data + at, text, n) == 0;
}

// PNG: the signature, then the IHDR chunk with width and height (big-endian) at bytes 16 and 20.
std::optional<ImageHeader> png(const uint8_t* data, std::size_t size) {
  if (!starts_with(data, size, 0, "\x89PNG\r\n\x1a\n") || !starts_with(data, size, 12, "IHDR") || size < 24) return std::nullopt;
  return ImageHeader{"PNG", big_endian(data + 16, 4), big_endian(data + 20, 4)};
}

// JPEG: segments after the SOI marker until a start-of-frame (SOF0-15 but DHT, JPG and DAC), whose
// payload holds precision, height and width (big-endian).
std::optional<ImageHeader> jpeg(const uint8_t* data, std::size_t size) {
  if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return std::nullopt;
  std::size_t at = 2;
  while (at + 4 <= size) {
    if (data[at] != 0xFF) return std::nullopt;
    const uint8_t marker = data[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // markers without a length
      at += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end of image, start of scan: no frame header
    const std::size_t length = big_endian(data + at + 2, 2);
    if (length < 2) return std::nullopt;
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (at + 9 > size || length < 7) return std::nullopt;
      return ImageHeader{"JPEG", big_endian(data + at + 7, 2), big_endian(data + at + 5, 2)};
    }
    at += 2 + length;
  }
  return std::nullopt;
}

// WebP: a RIFF container whose first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended).
std::optional<ImageHeader> webp(const uint8_t* data, std::size_t size) {
  if (!starts_with(data, size, 0, "RIFF") || !starts_with(data, size, 8, "WEBP") || size < 30) return std::nullopt;
  const uint8_t* chunk = data + 20;  // the first chunk's payload
  if (starts_with(data, size, 12, "VP8 ")) {
    if (chunk[3] != 0x9D || chunk[4] != 0x01 || chunk[5] != 0x2A) return std::nullopt;
    return ImageHeader{"WebP", little_endian(chunk + 6, 2) & 0x3FFF, little_endian(chunk + 8, 2) & 0x3FFF};
  }
  if (starts_with(data, size, 12, "VP8L")) {
    if (chunk[0] != 0x2F) return std::nullopt;
    const uint32_t bits = little_endian(chunk + 1, 4);
    return ImageHeader{"WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (starts_with(data, size, 12, "VP8X"))
    return ImageHeader{"WebP", int64_t{little_endian(chunk + 4, 3)} + 1, int64_t{little_endian(chunk + 7, 3)} + 1};
  return std::nullopt;
}

// BMP: the file header, then a DIB header whose size tells the layout: OS/2's 12-byte core header
// holds 16-bit sizes, the others 32-bit signed ones (a negative height means top-down rows).
std::optional<ImageHeader> bmp(const uint8_t* data, std::size_t size) {
  if (!starts_with(data, size, 0, "BM") || size < 26) return std::nullopt;
  const uint32_t dib = little_endian(data + 14, 4);
  if (dib == 12) return ImageHeader{"BMP", little_endian(data + 18, 2), little_endian(data + 20, 2)};
  const auto width = static_cast<int32_t>(little_endian(data + 18, 4));
  const auto height = static_cast<int32_t>(little_endian(data + 22, 4));
  return ImageHeader{"BMP", width, height < 0 ? -int64_t{height} : int64_t{height}};
}

}  // namespace

std::optional<ImageHeader> read_image_header(const uint8_t* data, std::size_t size) {
  for (auto* reader : {png, jpeg, webp, bmp})
    if (auto header = reader(data, size)) return header;
  return std::nullopt;
}

}  // namespace vltune::media
