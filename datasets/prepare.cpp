#include "datasets/prepare.h"

#include <atomic>
#include <limits>

#include "core/error.h"
#include "core/log.h"

namespace vltune::datasets {

SamplePreparer::SamplePreparer(language::Tokenizer tokenizer, PrepareOptions options, const MediaCache* cache)
    : tokenizer_(std::move(tokenizer)), options_(std::move(options)), cache_(cache) {
  language::check_chat_template(options_.chat_template, "[prepare]");
}

namespace {
// A cache that lacks a file the run reads was prepared for other data, or in another working
// directory (its relative paths are read from the working directory): said once per process, as
// the run goes on decoding (slower, or failing where there are no decoders).
void report_cache_miss(const std::string& path) {
  static std::atomic<bool> reported{false};
  if (!reported.exchange(true))
    log_warning(cat("the media cache has no entry for ", path, ", so it is decoded (a cache prepared for other data, ",
                    "or in another working directory; further misses are not reported)"));
}
}  // namespace

MediaPixels SamplePreparer::pixels(const std::string& path, bool is_video) const {
  if (cache_) {
    if (auto cached = cache_->find(path)) {
      // The cache checked each tensor's shape; an image must also be one frame, a clip no more
      // frames than this run's sampling takes.
      const int64_t most = is_video ? media::frames_per_clip(options_.media.frames, "[prepare] " + path) : 1;
      const int64_t frames = cached->pixels.size(0);
      if (frames > most || (!is_video && frames != 1))
        fail("[prepare] ", path, ": the media cache holds ", frames, " frames for this ", is_video ? "clip" : "image",
             "; expected ", is_video ? "at most " : "", most);
      if (is_video && options_.media.patches && !(cached->frames_per_second > 0))
        fail("[prepare] ", path, ": the media cache holds no frame rate for this clip; prepare it again");
      return *cached;
    }
    report_cache_miss(path);
  }
  return decode_and_resize(path, is_video, options_.media);
}

void SamplePreparer::load_pixels(const Sample& sample, PreparedSample& out) const {
  std::vector<torch::Tensor> frames;
  for (const auto& image : sample.images) frames.push_back(pixels(image, false).pixels);
  if (!sample.video.empty()) {
    frames.push_back(pixels(sample.video, true).pixels);
    out.video = true;
  }
  if (!frames.empty()) out.pixels = vision::normalize_pixels(torch::cat(frames), options_.media.image);
}

namespace {

torch::Tensor grid_row(const vision::PatchGrid& grid) {
  return torch::tensor({grid.t, grid.h, grid.w}, torch::kInt64).view({1, 3});
}

// Visual tokens per grid: t * h * w / merge^2 (the merger joins merge x merge patches).
std::vector<int64_t> merged_tokens(const torch::Tensor& grids, int64_t merge) {
  std::vector<int64_t> out;
  if (!grids.defined()) return out;
  const auto g = grids.contiguous();
  for (int64_t i = 0; i < g.size(0); ++i) out.push_back(g[i].prod().item<int64_t>() / (merge * merge));
  return out;
}

}  // namespace

void SamplePreparer::load_patches(const Sample& sample, PreparedSample& out) const {
  const auto& processor = *options_.media.patches;
  std::vector<torch::Tensor> patches, grids;
  for (const auto& path : sample.images) {
    const auto image = vision::qwen_patches(pixels(path, false).pixels, processor, path);
    patches.push_back(image.pixel_values);
    grids.push_back(grid_row(image.grid));
  }
  if (!patches.empty()) {
    out.pixels = torch::cat(patches);
    out.image_grid_thw = torch::cat(grids);
  }
  if (sample.video.empty()) return;
  const auto video = pixels(sample.video, true);
  const auto clip = vision::qwen_patches(video.pixels, processor, sample.video);
  out.pixel_values_videos = clip.pixel_values;
  out.video_grid_thw = grid_row(clip.grid);
  const double per_grid = static_cast<double>(processor.temporal_patch_size) / video.frames_per_second;
  out.second_per_grid_ts = torch::tensor({per_grid}, torch::kFloat32);
  out.video = true;
}

void SamplePreparer::load_media(const Sample& sample, PreparedSample& out) const {
  if (options_.media.patches)
    load_patches(sample, out);
  else
    load_pixels(sample, out);
}

language::EncodeOptions SamplePreparer::encode_options(const PreparedSample& out) const {
  auto encode = options_.encode;
  if (options_.media.patches) {
    encode.counted_placeholders = true;
    encode.image_token_counts = merged_tokens(out.image_grid_thw, options_.media.patches->merge_size);
    encode.video_token_counts = merged_tokens(out.video_grid_thw, options_.media.patches->merge_size);
  } else if (out.video && encode.tokens_per_video <= 0) {
    fail("[prepare] ", out.id, ": a video sample, but no tokens_per_video is set");
  }
  return encode;
}

std::optional<PreparedSample> SamplePreparer::prepare(const Sample& sample, BadSamples& bad) const {
  PreparedSample out;
  out.id = sample.id;
  try {
    load_media(sample, out);
  } catch (const Error& e) {
    bad.report(sample.id, e.what());
    return std::nullopt;
  }
  const auto encode = encode_options(out);
  std::string why;
  const auto pieces = language::render_chat(options_.chat_template, sample.turns, tokenizer_, sample.id);
  auto encoded = language::encode_chat(pieces, tokenizer_, encode, sample.id, &why);
  if (!encoded) {
    bad.report(sample.id, why);
    return std::nullopt;
  }
  out.input_ids = std::move(encoded->input_ids);
  out.labels = std::move(encoded->labels);
  return out;
}

PreparedSample SamplePreparer::prepare_prompt(const Sample& sample) const {
  PreparedSample media;
  media.id = sample.id;
  load_media(sample, media);
  return prepare_prompt(sample, media);
}

PreparedSample SamplePreparer::prepare_prompt(const Sample& sample, const PreparedSample& prepared) const {
  PreparedSample out = prepared;  // its media; the ids are made again below
  out.id = sample.id;
  auto encode = encode_options(out);
  encode.max_length = std::numeric_limits<int64_t>::max();  // a prompt is never cut: checked below
  const auto pieces = language::render_chat(options_.chat_template, sample.turns, tokenizer_, sample.id);
  auto encoded = language::encode_chat(language::generation_prompt(pieces), tokenizer_, encode, sample.id);
  const auto length = static_cast<int64_t>(encoded->input_ids.size());
  if (length > options_.encode.max_length)
    fail("[prepare] ", sample.id, ": its prompt has ", length, " tokens, more than max_length ", options_.encode.max_length,
         " (cutting it would drop the question or the assistant prefix)");
  out.input_ids = std::move(encoded->input_ids);
  out.labels = std::move(encoded->labels);
  return out;
}

}  // namespace vltune::datasets
