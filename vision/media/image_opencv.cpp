#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "vision/media/media.h"

namespace vltune::media {

bool available() { return true; }

Image decode_image(const std::string& path) {
  cv::Mat decoded;
  try {
    decoded = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    fail("[image] ", path, ": OpenCV could not decode it: ", e.what());
  }
  if (decoded.empty()) fail("[image] ", path, ": missing, unreadable or not an image format OpenCV decodes");
  if (decoded.depth() != CV_8U) decoded.convertTo(decoded, CV_8U, decoded.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
  cv::Mat rgb;
  switch (decoded.channels()) {
    case 1: cv::cvtColor(decoded, rgb, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(decoded, rgb, cv::COLOR_BGRA2RGB); break;
    default: fail("[image] ", path, ": unsupported channel count ", decoded.channels());
  }
  Image image;
  image.width = rgb.cols;
  image.height = rgb.rows;
  image.rgb.resize(static_cast<std::size_t>(rgb.total()) * 3);
  for (int row = 0; row < rgb.rows; ++row)
    std::copy(rgb.ptr<uint8_t>(row), rgb.ptr<uint8_t>(row) + rgb.cols * 3, image.rgb.data() + static_cast<std::size_t>(row) * rgb.cols * 3);
  return image;
}

}  // namespace vltune::media
