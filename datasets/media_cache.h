// The prepared media cache (`vltune prepare`): every image and clip of a dataset decoded and
// resized once, stored as uint8 [frames, 3, H, W] tensors in memory-mapped safetensors shards.
// Training reads it instead of decoding again every epoch, and hosts without OpenCV/FFmpeg (the
// GPU machine) can train from it.
//
//   CACHE/media-NNNNN.safetensors   tensors named m<index>
//   CACHE/index.json                {"settings": {...}, "media": {path: [shard file, tensor name]}}
//
// The settings (resize policy and size, or the patch layout's processor limits; frame sampling)
// are recorded, and a cache made with other settings is refused rather than silently used.
//
// The patch layout (Qwen2-VL, Qwen2.5-VL) caches each image and clip resized at its own size by the
// model's processor (vision/qwen_image_processor.h's qwen_resize: uint8 [frames, 3, H, W], H and W
// multiples of patch x merge); patches and grid follow from those by qwen_patches, exactly as when
// decoding live. A clip's entry also holds the rate its frames were sampled at (Qwen's seconds per
// temporal patch): {path: [shard file, tensor name, frames per second]}.
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "datasets/sample.h"
#include "vision/image_processor.h"
#include "vision/qwen_image_processor.h"
#include "vision/media/media.h"

namespace vltune::datasets {

struct MediaSettings {
  vision::ImageProcessorConfig image;  // frames layout: the resize
  media::FrameSampling frames;
  media::MediaLimits limits;
  // Set: the patch layout, each image and frame resized by this processor (its min_pixels /
  // max_pixels); unset: fixed-size frames by `image`.
  std::optional<vision::QwenProcessorConfig> patches;
  std::string describe() const;  // the JSON stored with the cache, compared on open
};

// Decoded and resized pixels of one image or clip: uint8 [frames, 3, H, W] (one frame for images),
// and for a clip the rate its frames were sampled at (0 for an image).
struct MediaPixels {
  torch::Tensor pixels;
  double frames_per_second = 0;
};
MediaPixels decode_and_resize(const std::string& path, bool is_video, const MediaSettings& settings);

class MediaCache {
 public:
  static MediaCache open(const std::string& dir, const MediaSettings& expected);
  // The cached pixels for `path` (zero-copy), or nullopt when the cache does not hold it. Paths
  // compare absolute and lexically normal (a relative one from the working directory), so
  // data/x.png and /repo/data/./x.png find the same entry.
  std::optional<MediaPixels> find(const std::string& path) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::shared_ptr<safetensors::File>> shards_;
  struct Entry {
    std::size_t shard = 0;
    std::string name;
    double frames_per_second = 0;
  };
  std::map<std::string, Entry> entries_;
};

struct MediaToCache {
  std::string path;
  bool is_video = false;
};

struct CacheSummary {
  int64_t media = 0, failed = 0, shards = 0;
  uint64_t bytes = 0;
};

// Writes the cache for `media` into `dir`; files that fail to decode are reported to `bad` (and
// left out) with its policy.
CacheSummary build_media_cache(const std::vector<MediaToCache>& media, const MediaSettings& settings,
                               const std::string& dir, BadSamples& bad, uint64_t shard_bytes = 256ull << 20);

}  // namespace vltune::datasets
