// Image and video decoding. With VLTUNE_WITH_MEDIA these are OpenCV (images) and FFmpeg (video);
// without it, media_disabled.cpp provides the same functions, which throw a clear error. Nothing
// else in vltune knows which build it is in.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vltune::media {

bool available();  // false in a build without VLTUNE_WITH_MEDIA

// 8-bit RGB pixels, row-major, height x width x 3.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Decodes JPEG, PNG, WebP, BMP, ... (grayscale and alpha become RGB). Throws naming the file.
Image decode_image(const std::string& path);

struct VideoInfo {
  std::string codec;
  int width = 0;
  int height = 0;
  double duration_seconds = 0;
  double frames_per_second = 0;
  int64_t frame_count = 0;  // as the container states it; 0 when unknown
};

// Opens a video with FFmpeg and reads its stream properties. Throws naming the file.
VideoInfo probe_video(const std::string& path);

}  // namespace vltune::media
