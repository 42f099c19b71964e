#include "datasets/prepare.h"

#include <limits>

#include "core/error.h"

namespace vltune::datasets {

SamplePreparer::SamplePreparer(language::Tokenizer tokenizer, PrepareOptions options, const MediaCache* cache)
    : tokenizer_(std::move(tokenizer)), options_(std::move(options)), cache_(cache) {
  language::check_chat_template(options_.chat_template, "[prepare]");
}

torch::Tensor SamplePreparer::pixels(const std::string& path, bool is_video) const {
  if (cache_)
    if (auto cached = cache_->find(path)) {
      // The cache checked each tensor's shape; an image must also be one frame, a clip no more
      // frames than this run's sampling takes.
      const int64_t most = is_video ? media::frames_per_clip(options_.media.frames, "[prepare] " + path) : 1;
      if (cached->size(0) > most || (!is_video && cached->size(0) != 1))
        fail("[prepare] ", path, ": the media cache holds ", cached->size(0), " frames for this ",
             is_video ? "clip" : "image", "; expected ", is_video ? "at most " : "", most);
      return *cached;
    }
  return decode_and_resize(path, is_video, options_.media);
}

void SamplePreparer::load_pixels(const Sample& sample, PreparedSample& out) const {
  std::vector<torch::Tensor> frames;
  for (const auto& image : sample.images) frames.push_back(pixels(image, false));
  if (!sample.video.empty()) {
    frames.push_back(pixels(sample.video, true));
    out.video = true;
  }
  if (!frames.empty()) out.pixels = vision::normalize_pixels(torch::cat(frames), options_.media.image);
}

const language::EncodeOptions& SamplePreparer::encode_options(const PreparedSample& out) const {
  if (out.video && options_.encode.tokens_per_video <= 0)
    fail("[prepare] ", out.id, ": a video sample, but no tokens_per_video is set");
  return options_.encode;
}

std::optional<PreparedSample> SamplePreparer::prepare(const Sample& sample, BadSamples& bad) const {
  PreparedSample out;
  out.id = sample.id;
  try {
    load_pixels(sample, out);
  } catch (const Error& e) {
    bad.report(sample.id, e.what());
    return std::nullopt;
  }
  const auto& encode = encode_options(out);
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
  load_pixels(sample, media);
  return prepare_prompt(sample, media);
}

PreparedSample SamplePreparer::prepare_prompt(const Sample& sample, const PreparedSample& prepared) const {
  PreparedSample out;
  out.id = sample.id;
  out.pixels = prepared.pixels;
  out.video = prepared.video;
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
