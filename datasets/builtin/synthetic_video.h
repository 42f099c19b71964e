// Synthetic video-text data: clips of coloured shapes moving on a dark canvas, drawn with OpenCV
// and encoded to H.264 MP4 through libavcodec, with captions and questions that need time to
// answer: the direction of motion, which shape appears first, how many appear, whether one
// bounces off an edge. Reproducible for a seed.
//
//   OUT/videos/clip_NNNNN.mp4
//   OUT/caption_{train,test}.json, OUT/qa_{train,test}.json   (llava format, "video" entries;
//                                                              the last fifth of the clips is test)
#pragma once
#include <cstdint>
#include <string>

namespace vltune::datasets {

struct SyntheticVideoOptions {
  std::string out;
  int64_t clips = 100;
  uint64_t seed = 0;
  int size = 64;     // width and height in pixels
  int frames = 16;
  int fps = 8;
};

struct SyntheticVideoSummary {
  int64_t train = 0, test = 0;
};

SyntheticVideoSummary build_synthetic_video(const SyntheticVideoOptions& options);

}  // namespace vltune::datasets
