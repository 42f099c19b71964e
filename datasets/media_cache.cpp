#include "datasets/media_cache.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "core/json_view.h"
#include "datasets/sample.h"

namespace fs = std::filesystem;

namespace vltune::datasets {

std::string MediaSettings::describe() const {
  return nlohmann::json{{"policy", static_cast<int>(image.policy)},
                        {"shortest_edge", image.shortest_edge},
                        {"height", image.height},
                        {"width", image.width},
                        {"num_frames", frames.num_frames},
                        {"fps", frames.fps},
                        {"max_frames", frames.max_frames}}
      .dump();
}

torch::Tensor decode_and_resize(const std::string& path, bool is_video, const MediaSettings& s) {
  if (!is_video) {
    return vision::resize_image(media::decode_image(path, s.limits), s.image).unsqueeze(0);
  }
  const auto video = media::decode_video(path, s.frames, s.limits);
  std::vector<torch::Tensor> frames;
  for (const auto& frame : video.frames) frames.push_back(vision::resize_image(frame, s.image));
  return torch::stack(frames);
}

namespace {
// A cached tensor must be what decode_and_resize makes under `settings`: uint8 [frames, 3, H, W].
void check_cached_pixels(const safetensors::TensorInfo& info, const MediaSettings& settings, const std::string& where) {
  const auto& shape = info.shape;
  const bool fits = info.dtype == torch::kUInt8 && shape.size() == 4 && shape[0] >= 1 &&
                    shape[0] <= media::kMaxFramesPerClip && shape[1] == 3 && shape[2] == settings.image.height &&
                    shape[3] == settings.image.width;
  if (!fits)
    fail("[cache] ", where, ": holds ", safetensors::dtype_name(info.dtype), " ", c10::IntArrayRef(shape), ", expected U8 [frames, 3, ",
         settings.image.height, ", ", settings.image.width, "] with 1 to ", media::kMaxFramesPerClip, " frames");
}
}  // namespace

MediaCache MediaCache::open(const std::string& dir, const MediaSettings& expected) {
  const auto index_path = (fs::path(dir) / "index.json").string();
  if (!fs::exists(index_path)) fail("[cache] ", dir, ": no index.json (make one with `vltune prepare`)");
  const auto index = read_json_file(index_path);
  const JsonView view(index, index_path);
  if (view.str("settings") != expected.describe())
    view.fail_at("settings", "the cache was prepared with " + view.str("settings") + " but this run needs " +
                                 expected.describe() + "; prepare it again");
  MediaCache cache;
  std::map<std::string, std::size_t> shard_of;
  const JsonView media = view.child("media");
  for (const auto& [path, where] : media.raw().items()) {
    if (!where.is_array() || where.size() != 2 || !where[0].is_string() || !where[1].is_string())
      media.fail_at(path, "expected [shard file, tensor name], found " + where.dump());
    const auto shard = where[0].get<std::string>();
    auto it = shard_of.find(shard);
    if (it == shard_of.end()) {
      it = shard_of.emplace(shard, cache.shards_.size()).first;
      const auto file = file_inside(dir, shard, cat("[cache] ", index_path, ": key 'media.", path, "'"));
      cache.shards_.push_back(safetensors::File::open(file));
    }
    const auto name = where[1].get<std::string>();
    const auto* info = cache.shards_[it->second]->find(name);
    if (!info) media.fail_at(path, "tensor " + name + " is not in " + shard);
    check_cached_pixels(*info, expected, cat(index_path, ": key 'media.", path, "' (", shard, ": ", name, ")"));
    cache.entries_[path] = {it->second, name};
  }
  return cache;
}

std::optional<torch::Tensor> MediaCache::find(const std::string& path) const {
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  return shards_[it->second.first]->tensor(it->second.second);
}

CacheSummary build_media_cache(const std::vector<MediaToCache>& media, const MediaSettings& settings,
                               const std::string& dir, BadSamples& bad, uint64_t shard_bytes) {
  fs::create_directories(dir);
  CacheSummary summary;
  nlohmann::json entries = nlohmann::json::object();
  std::vector<std::pair<std::string, torch::Tensor>> shard;  // (tensor name, pixels)
  std::vector<std::string> shard_paths;                        // the media path of each
  uint64_t in_shard = 0;
  auto flush = [&] {
    if (shard.empty()) return;
    char name[32];
    std::snprintf(name, sizeof(name), "media-%05ld.safetensors", static_cast<long>(summary.shards++));
    safetensors::write_file((fs::path(dir) / name).string(), shard);
    for (std::size_t i = 0; i < shard.size(); ++i) entries[shard_paths[i]] = {name, shard[i].first};
    shard.clear();
    shard_paths.clear();
    in_shard = 0;
  };
  std::map<std::string, bool> seen;
  for (const auto& item : media) {
    if (!seen.emplace(item.path, true).second) continue;
    torch::Tensor pixels;
    try {
      pixels = decode_and_resize(item.path, item.is_video, settings);
    } catch (const Error& e) {
      bad.report(item.path, e.what());
      ++summary.failed;
      continue;
    }
    const uint64_t bytes = static_cast<uint64_t>(pixels.numel());
    if (in_shard > 0 && in_shard + bytes > shard_bytes) flush();
    shard.emplace_back(cat("m", summary.media++), pixels);
    shard_paths.push_back(item.path);
    in_shard += bytes;
    summary.bytes += bytes;
  }
  flush();
  write_file_atomically((fs::path(dir) / "index.json").string(),
                        nlohmann::json{{"settings", settings.describe()}, {"media", entries}}.dump(1) + "\n");
  return summary;
}

}  // namespace vltune::datasets
