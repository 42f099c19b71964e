// The bound on frames per clip, shared by the FFmpeg build and the build without media.
#include <cmath>

#include "core/error.h"
#include "vision/media/media.h"

namespace vltune::media {

int64_t frames_per_clip(const FrameSampling& sampling, const std::string& where) {
  if (!std::isfinite(sampling.fps) || sampling.fps < 0) fail(where, ": fps ", sampling.fps, " must be a finite number >= 0");
  const bool by_count = sampling.num_frames > 0;
  const int64_t frames = by_count ? sampling.num_frames : sampling.max_frames;
  if (!by_count && (sampling.fps <= 0 || sampling.max_frames <= 0))
    fail(where, ": frame sampling needs num_frames > 0, or fps > 0 with max_frames > 0");
  if (frames > kMaxFramesPerClip)
    fail(where, ": ", by_count ? "num_frames " : "max_frames ", frames, " is more than the ", kMaxFramesPerClip,
         " frames vltune takes from one clip");
  return frames;
}

}  // namespace vltune::media
