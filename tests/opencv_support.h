// What the media tests do with OpenCV itself, apart from vltune: write test images (so vltune's
// decoder reads files it did not write), read a screenshot's pixels, throw a cv::Exception. Built
// from opencv_support.cpp where vltune has media support and from opencv_support_disabled.cpp
// (every function throws) where it has not, so that no test needs an #ifdef: a media test skips
// through media::available() (SKIP_WITHOUT_MEDIA, test_support.h). Plain: no LibTorch.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace vltune::test {

// A rectangle of an image to paint: x, y, width, height in pixels.
struct PaintedRect {
  int x = 0, y = 0, width = 0, height = 0;
  std::array<int, 4> colour{};  // in OpenCV's order: B, G, R (and A)
};

// Writes a height x width image of `channels` (1, 3 or 4) filled with `fill` (B, G, R, A as
// OpenCV orders them; a grey image takes fill[0]), with `rects` painted over it, by cv::imwrite
// (the format from the extension). Throws when OpenCV cannot write it.
void opencv_write_image(const std::string& path, int height, int width, int channels, const std::array<int, 4>& fill,
                        const std::vector<PaintedRect>& rects = {});

// A PNG read back as grey by cv::imread: its width, the share of pixels darker than 251 ("ink")
// and the standard deviation of the grey levels. Throws when OpenCV cannot read it.
struct GreyStatistics {
  int width = 0;
  double ink = 0;
  double stddev = 0;
};
GreyStatistics opencv_grey_statistics(const std::string& path);

// Makes OpenCV throw its own cv::Exception (an exception type vltune does not know).
void opencv_throw_its_exception();

}  // namespace vltune::test
