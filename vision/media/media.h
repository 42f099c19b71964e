// Image and video decoding. With VLTUNE_WITH_MEDIA these are OpenCV (images) and FFmpeg (video);
// without it, media_disabled.cpp provides the same functions, which throw a clear error. Nothing
// else in vltune knows which build it is in.
#pragma once
#include <array>
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

// Limits that keep hostile media from exhausting the machine or hanging a worker.
struct MediaLimits {
  int max_width = 8192;
  int max_height = 8192;
  double timeout_seconds = 30;  // per file, enforced through FFmpeg's interrupt callback
  uint64_t max_file_bytes = 256ull << 20;  // an image file's size (read whole before decoding)
};

// Decodes PNG, JPEG, WebP and BMP files (grayscale and alpha become RGB). The file must be a
// regular file within limits.max_file_bytes, and the size its header states is checked against
// the limits before any pixel is decoded. Throws naming the file.
Image decode_image(const std::string& path, const MediaLimits& limits = {});

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

// Filled shapes drawn into an image (OpenCV), for the synthetic datasets. `size` is the radius of
// a circle and the half-side of a square or triangle; the colour is RGB.
enum class Shape { kCircle, kSquare, kTriangle };
void draw_shape(Image& image, Shape shape, int center_x, int center_y, int size, const std::array<uint8_t, 3>& rgb);

// Encodes an image by the file's extension (.png, .jpg, .webp, .bmp). Throws naming the file.
void encode_image(const std::string& path, const Image& image);

// Which frames to take from a clip: `num_frames` spread uniformly over its duration (when > 0),
// otherwise one frame every 1/fps seconds, at most `max_frames`.
struct FrameSampling {
  int64_t num_frames = 8;
  double fps = 0;
  int64_t max_frames = 32;
};

// The most frames taken from one clip, whatever the sampling asks: each becomes a full image.
inline constexpr int64_t kMaxFramesPerClip = 1024;

// Frames one clip can yield under `sampling`: num_frames, or max_frames when sampling by fps.
// Throws naming `where` unless that lies in [1, kMaxFramesPerClip] and fps is finite.
int64_t frames_per_clip(const FrameSampling& sampling, const std::string& where);

struct DecodedVideo {
  VideoInfo info;
  std::vector<Image> frames;       // upright RGB (rotation metadata applied)
  std::vector<double> timestamps;  // seconds, one per frame
};

// Decodes the sampled frames of a video file, or of a folder of frame images (sorted by name,
// treated as one frame per index). Seeks where the container allows it; honours rotation metadata
// and variable frame rates (sampling goes by presentation time). Throws naming the file for a
// missing, corrupt, truncated or zero-frame video, absurd dimensions, or a timeout.
DecodedVideo decode_video(const std::string& path, const FrameSampling& sampling, const MediaLimits& limits = {});

// Encodes `frames` (all the same size, even width and height) as H.264 in an MP4 at `fps` through
// libavcodec, atomically. Throws naming the file.
void encode_video_h264(const std::string& path, const std::vector<Image>& frames, int fps);

}  // namespace vltune::media
