// tests/opencv_support.h with OpenCV (a build with media support).
#include "opencv_support.h"

#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace vltune::test {

void opencv_write_image(const std::string& path, int height, int width, int channels, const std::array<int, 4>& fill,
                        const std::vector<PaintedRect>& rects) {
  const auto scalar = [](const std::array<int, 4>& c) { return cv::Scalar(c[0], c[1], c[2], c[3]); };
  cv::Mat image(height, width, CV_8UC(channels), scalar(fill));
  for (const auto& r : rects) image(cv::Rect(r.x, r.y, r.width, r.height)).setTo(scalar(r.colour));
  if (!cv::imwrite(path, image)) throw std::runtime_error("OpenCV could not write " + path);
}

GreyStatistics opencv_grey_statistics(const std::string& path) {
  const cv::Mat image = cv::imread(path, cv::IMREAD_GRAYSCALE);
  if (image.empty()) throw std::runtime_error("OpenCV could not read " + path);
  cv::Scalar mean, stddev;
  cv::meanStdDev(image, mean, stddev);
  const double ink = 1.0 - static_cast<double>(cv::countNonZero(image > 250)) / static_cast<double>(image.total());
  return {image.cols, ink, stddev[0]};
}

void opencv_throw_its_exception() { cv::Mat(2, 2, CV_8UC1).reshape(3); }

}  // namespace vltune::test
