#include "datasets/media_cache.h"

#include <cmath>
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
  if (patches)
    return nlohmann::json{{"layout", "patches"},
                          {"resize", "bicubic-antialias-uint8"},
                          {"min_pixels", patches->min_pixels},
                          {"max_pixels", patches->max_pixels},
                          {"patch_size", patches->patch_size},
                          {"merge_size", patches->merge_size},
                          {"num_frames", frames.num_frames},
                          {"fps", frames.fps},
                          {"max_frames", frames.max_frames}}
        .dump();
  return nlohmann::json{{"policy", static_cast<int>(image.policy)},
                        {"shortest_edge", image.shortest_edge},
                        {"height", image.height},
                        {"width", image.width},
                        {"num_frames", frames.num_frames},
                        {"fps", frames.fps},
                        {"max_frames", frames.max_frames}}
      .dump();
}

namespace {
// The rate a clip's frames were taken at (their timestamps' spacing), which sets Qwen's seconds per
// temporal patch; the sampling's fps (or Qwen's default, 2) for a single frame.
double sampled_fps(const media::DecodedVideo& video, const media::FrameSampling& sampling) {
  const auto& t = video.timestamps;
  if (t.size() >= 2 && t.back() > t.front()) return static_cast<double>(t.size() - 1) / (t.back() - t.front());
  return sampling.fps > 0 ? sampling.fps : 2.0;
}

torch::Tensor resized(const std::vector<media::Image>& frames, const MediaSettings& s, const std::string& path) {
  if (s.patches) return vision::qwen_resize(frames, *s.patches, path);
  std::vector<torch::Tensor> out;
  for (const auto& frame : frames) out.push_back(vision::resize_image(frame, s.image));
  return torch::stack(out);
}
}  // namespace

MediaPixels decode_and_resize(const std::string& path, bool is_video, const MediaSettings& s) {
  if (!is_video) return {resized({media::decode_image(path, s.limits)}, s, path), 0.0};
  const auto video = media::decode_video(path, s.frames, s.limits);
  return {resized(video.frames, s, path), sampled_fps(video, s.frames)};
}

namespace {
// The form a media path is kept and looked up in: absolute and lexically normal, a relative path
// taken from the working directory as the recipes' relative paths are. `vltune prepare` records
// the paths as the recipe gave them (data/base/... from a recipe in the repository), while a run's
// resolved recipe.yaml gives the same files absolute (vltune eval RUN, resume): both must find
// the same entry.
// (An empty or otherwise unresolvable path, as a hostile index may hold, stays as it is: it matches
// no sample's file.)
std::string media_key(const std::string& path) {
  if (path.empty()) return path;
  std::error_code error;
  const auto absolute = fs::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// A cached tensor must be what decode_and_resize makes under `settings`: uint8 [frames, 3, H, W],
// H x W the frames layout's size, or multiples of patch x merge in the patch layout.
void check_cached_pixels(const safetensors::TensorInfo& info, const MediaSettings& settings, const std::string& where) {
  const auto& shape = info.shape;
  const int64_t factor = settings.patches ? settings.patches->patch_size * settings.patches->merge_size : 0;
  auto side_fits = [&](int64_t side, int64_t want) {
    return settings.patches ? side >= factor && side % factor == 0 : side == want;
  };
  const bool fits = info.dtype == torch::kUInt8 && shape.size() == 4 && shape[0] >= 1 &&
                    shape[0] <= media::kMaxFramesPerClip && shape[1] == 3 && side_fits(shape[2], settings.image.height) &&
                    side_fits(shape[3], settings.image.width);
  if (fits) return;
  const auto sides = settings.patches ? cat("H, W] (H and W multiples of ", factor, ")")
                                      : cat(settings.image.height, ", ", settings.image.width, "]");
  fail("[cache] ", where, ": holds ", safetensors::dtype_name(info.dtype), " ", c10::IntArrayRef(shape), ", expected U8 [frames, 3, ",
       sides, " with 1 to ", media::kMaxFramesPerClip, " frames");
}

// A clip's frame rate in the patch layout's entries: a positive, finite number.
double entry_fps(const JsonView& media, const std::string& path, const nlohmann::json& where, bool patches) {
  if (where.size() == 2) return 0.0;
  if (!patches) media.fail_at(path, "expected [shard file, tensor name], found " + where.dump());
  if (!where[2].is_number() || !(where[2].get<double>() > 0) || !std::isfinite(where[2].get<double>()))
    media.fail_at(path, "expected a positive frame rate after the tensor name, found " + where[2].dump());
  return where[2].get<double>();
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
    if (!where.is_array() || where.size() < 2 || where.size() > 3 || !where[0].is_string() || !where[1].is_string())
      media.fail_at(path, "expected [shard file, tensor name" + std::string(expected.patches ? "(, frames per second)" : "") +
                              "], found " + where.dump());
    const double fps = entry_fps(media, path, where, expected.patches.has_value());
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
    cache.entries_[media_key(path)] = {it->second, name, fps};
  }
  return cache;
}

std::optional<MediaPixels> MediaCache::find(const std::string& path) const {
  auto it = entries_.find(media_key(path));
  if (it == entries_.end()) return std::nullopt;
  return MediaPixels{shards_[it->second.shard]->tensor(it->second.name), it->second.frames_per_second};
}

CacheSummary build_media_cache(const std::vector<MediaToCache>& media, const MediaSettings& settings,
                               const std::string& dir, BadSamples& bad, uint64_t shard_bytes) {
  fs::create_directories(dir);
  CacheSummary summary;
  nlohmann::json entries = nlohmann::json::object();
  std::vector<std::pair<std::string, torch::Tensor>> shard;  // (tensor name, pixels)
  std::vector<std::string> shard_paths;                        // the media path of each
  std::vector<double> shard_fps;                               // and its frame rate (patch layout clips)
  uint64_t in_shard = 0;
  auto flush = [&] {
    if (shard.empty()) return;
    char name[32];
    std::snprintf(name, sizeof(name), "media-%05ld.safetensors", static_cast<long>(summary.shards++));
    safetensors::write_file((fs::path(dir) / name).string(), shard);
    for (std::size_t i = 0; i < shard.size(); ++i) {
      entries[shard_paths[i]] = {name, shard[i].first};
      if (shard_fps[i] > 0) entries[shard_paths[i]].push_back(shard_fps[i]);
    }
    shard.clear();
    shard_paths.clear();
    shard_fps.clear();
    in_shard = 0;
  };
  std::map<std::string, bool> seen;
  for (const auto& item : media) {
    if (!seen.emplace(item.path, true).second) continue;
    MediaPixels decoded;
    try {
      decoded = decode_and_resize(item.path, item.is_video, settings);
    } catch (const Error& e) {
      bad.report(item.path, e.what());
      ++summary.failed;
      continue;
    }
    const uint64_t bytes = static_cast<uint64_t>(decoded.pixels.numel());
    if (in_shard > 0 && in_shard + bytes > shard_bytes) flush();
    shard.emplace_back(cat("m", summary.media++), decoded.pixels);
    shard_paths.push_back(item.path);
    shard_fps.push_back(settings.patches ? decoded.frames_per_second : 0.0);
    in_shard += bytes;
    summary.bytes += bytes;
  }
  flush();
  write_file_atomically((fs::path(dir) / "index.json").string(),
                        nlohmann::json{{"settings", settings.describe()}, {"media", entries}}.dump(1) + "\n");
  return summary;
}

}  // namespace vltune::datasets
