#include "datasets/prepare.h"

#include "core/error.h"

namespace vltune::datasets {

SamplePreparer::SamplePreparer(language::Tokenizer tokenizer, PrepareOptions options, const MediaCache* cache)
    : tokenizer_(std::move(tokenizer)), options_(std::move(options)), cache_(cache) {
  language::check_chat_template(options_.chat_template, "[prepare]");
}

torch::Tensor SamplePreparer::pixels(const std::string& path, bool is_video) const {
  if (cache_)
    if (auto cached = cache_->find(path)) return *cached;
  return decode_and_resize(path, is_video, options_.media);
}

std::optional<PreparedSample> SamplePreparer::prepare(const Sample& sample, BadSamples& bad) const {
  PreparedSample out;
  out.id = sample.id;
  try {
    std::vector<torch::Tensor> frames;
    for (const auto& image : sample.images) frames.push_back(pixels(image, false));
    if (!sample.video.empty()) {
      frames.push_back(pixels(sample.video, true));
      out.video = true;
    }
    if (!frames.empty()) out.pixels = vision::normalize_pixels(torch::cat(frames), options_.media.image);
  } catch (const Error& e) {
    bad.report(sample.id, e.what());
    return std::nullopt;
  }
  auto encode = options_.encode;
  if (out.video && encode.tokens_per_video <= 0) fail("[prepare] ", sample.id, ": a video sample, but no tokens_per_video is set");
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

}  // namespace vltune::datasets
