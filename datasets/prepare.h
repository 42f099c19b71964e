// A Sample into what the model takes: token ids and labels (chat template, visual placeholders
// expanded, answers only trained) and normalised pixels for its images or its clip's frames,
// decoded live or read from a prepared media cache.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "datasets/media_cache.h"
#include "datasets/sample.h"
#include "language/chat_template.h"
#include "language/tokenizer.h"

namespace vltune::datasets {

struct PreparedSample {
  std::string id;
  std::vector<int64_t> input_ids, labels;
  torch::Tensor pixels;  // images [N, 3, H, W] or frames [T, 3, H, W], normalised; undefined for text
  bool video = false;
};

struct PrepareOptions {
  std::string chat_template = "llava_v1";
  language::EncodeOptions encode;  // visual token id, tokens per image and per video, max length
  MediaSettings media;
};

class SamplePreparer {
 public:
  SamplePreparer(language::Tokenizer tokenizer, PrepareOptions options, const MediaCache* cache = nullptr);

  // nullopt, reported to `bad`, when the sample's media cannot be decoded or truncation drops it.
  std::optional<PreparedSample> prepare(const Sample& sample, BadSamples& bad) const;

  // The conversation up to and including the assistant prefix of its last turn (that answer
  // removed; earlier answers keep their labels) and its pixels: what generation starts from to
  // answer it. Throws
  // naming the sample when its media cannot be decoded or the prompt exceeds max_length.
  PreparedSample prepare_prompt(const Sample& sample) const;
  // The same, taking the pixels of `prepared` (what prepare() made of this sample) rather than
  // decoding the media again.
  PreparedSample prepare_prompt(const Sample& sample, const PreparedSample& prepared) const;

 private:
  void load_pixels(const Sample& sample, PreparedSample& out) const;  // throws on undecodable media
  const language::EncodeOptions& encode_options(const PreparedSample& out) const;  // throws for a video without tokens
  torch::Tensor pixels(const std::string& path, bool is_video) const;  // uint8, cache first
  language::Tokenizer tokenizer_;
  PrepareOptions options_;
  const MediaCache* cache_;
};

}  // namespace vltune::datasets
