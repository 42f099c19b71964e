// The prepared media cache (`vltune prepare`): every image and clip of a dataset decoded and
// resized once, stored as uint8 [frames, 3, H, W] tensors in memory-mapped safetensors shards.
// Training reads it instead of decoding again every epoch, and hosts without OpenCV/FFmpeg (the
// GPU machine) can train from it.
//
//   CACHE/media-NNNNN.safetensors   tensors named m<index>
//   CACHE/index.json                {"settings": {...}, "media": {path: [shard file, tensor name]}}
//
// The settings (resize policy and size, frame sampling) are recorded, and a cache made with other
// settings is refused rather than silently used.
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
#include "vision/media/media.h"

namespace vltune::datasets {

struct MediaSettings {
  vision::ImageProcessorConfig image;
  media::FrameSampling frames;
  media::MediaLimits limits;
  std::string describe() const;  // the JSON stored with the cache, compared on open
};

// Decoded and resized pixels of one image or clip: uint8 [frames, 3, H, W] (one frame for images).
torch::Tensor decode_and_resize(const std::string& path, bool is_video, const MediaSettings& settings);

class MediaCache {
 public:
  static MediaCache open(const std::string& dir, const MediaSettings& expected);
  // The cached pixels for `path` (zero-copy), or nullopt when the cache does not hold it.
  std::optional<torch::Tensor> find(const std::string& path) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::shared_ptr<safetensors::File>> shards_;
  std::map<std::string, std::pair<std::size_t, std::string>> entries_;
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
