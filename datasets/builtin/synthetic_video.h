// Synthetic video-text data: clips of coloured shapes moving on a dark canvas, drawn with OpenCV
// and encoded to H.264 MP4 through libavcodec, with captions and questions that need time to
// answer: the direction a shape starts moving in, the direction it moves in at the end (after a
// bounce off an edge, if any), how many shapes appear, which appears first. Reproducible for a seed.
//
//   OUT/videos/clip_NNNNN.mp4
//   OUT/caption_{train,test}.json, OUT/qa_{train,test}.json   (llava format, "video" entries;
//                                                              the last fifth of the clips is test)
//
// Clip k of seed s in split p draws from its own generator, seeded with the 64-bit number
// p << 63 | s << 32 | k (p: pretrain 0, downstream 1): the pretraining and the downstream clips
// come from disjoint seed ranges, so a model pretrained on one never saw a clip of the other.
//
// Answers are balanced: clip k asks question type k mod 4, and its answer is the type's answers in
// turn (clip k/4 mod the type's answer count); the clip is drawn again from its generator until
// it fits that answer. So the text-only prior (training/answer_prior.h) stays near 1/4 on the
// direction and count questions and near 1/12 on "which shape appears first".
#pragma once
#include <cstdint>
#include <string>

namespace vltune::datasets {

enum class ClipRange { kPretrain = 0, kDownstream = 1 };

struct SyntheticVideoOptions {
  std::string out;
  int64_t clips = 100;
  uint64_t seed = 0;  // < 2^31
  int size = 64;      // width and height in pixels
  int frames = 16;
  int fps = 8;
  ClipRange range = ClipRange::kDownstream;
};

struct SyntheticVideoSummary {
  int64_t train = 0, test = 0;
};

SyntheticVideoSummary build_synthetic_video(const SyntheticVideoOptions& options);

// The generator seed of clip `clip` (above); throws if seed >= 2^31 or clip >= 2^32.
uint64_t synthetic_clip_seed(ClipRange range, uint64_t seed, int64_t clip);

}  // namespace vltune::datasets
