// A Sample into what the model takes: token ids and labels (chat template, visual placeholders
// expanded, answers only trained) and its pixels in one of two layouts, which the model family
// chooses (multimodal/model_family.h, through training/run_setup.cpp):
//   frames   normalised pixels of its images or its clip's frames, every image one fixed size,
//            decoded live or read from a prepared media cache (LLaVA)
//   patches  each image and the clip through the model's own processor at its own size
//            (vision/qwen_image_processor.h): patches [n, values] with a (t, h, w) grid each, and
//            each placeholder expanded to its own count of tokens, grid t*h*w / merge^2
//            (Qwen2-VL, Qwen2.5-VL)
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "datasets/media_cache.h"
#include "datasets/sample.h"
#include "language/chat_template.h"
#include "language/tokenizer.h"
#include "multimodal/prepared_sample.h"
#include "vision/qwen_image_processor.h"

namespace vltune::datasets {

using PreparedSample = multimodal::PreparedSample;  // multimodal/prepared_sample.h

struct PrepareOptions {
  std::string chat_template = "llava_v1";
  language::EncodeOptions encode;  // visual token id, tokens per image and per video, max length
  // Frame sampling and limits; the frames layout's resize, or (media.patches set) the patch layout
  // through that processor (its min_pixels / max_pixels).
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
  void load_media(const Sample& sample, PreparedSample& out) const;    // either layout; throws on undecodable media
  void load_pixels(const Sample& sample, PreparedSample& out) const;   // frames
  void load_patches(const Sample& sample, PreparedSample& out) const;  // patches
  // The sample's encode options (its own token counts for patches); throws for a video without tokens.
  language::EncodeOptions encode_options(const PreparedSample& out) const;
  MediaPixels pixels(const std::string& path, bool is_video) const;  // uint8, cache first
  language::Tokenizer tokenizer_;
  PrepareOptions options_;
  const MediaCache* cache_;
};

}  // namespace vltune::datasets
