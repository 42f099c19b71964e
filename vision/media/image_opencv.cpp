// Images through OpenCV: decoding any format it reads to RGB, encoding by the file's extension.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/atomic_file.h"
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

void encode_image(const std::string& path, const Image& image) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  if (extension != ".png" && extension != ".jpg" && extension != ".jpeg" && extension != ".webp" && extension != ".bmp")
    fail("[image] ", path, ": unknown extension '", extension, "'; expected .png, .jpg, .jpeg, .webp or .bmp");
  if (image.width <= 0 || image.height <= 0 || image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    fail("[image] ", path, ": cannot encode a ", image.width, "x", image.height, " image holding ", image.rgb.size(),
         " bytes; expected width*height*3");
  const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> encoded;
  try {
    if (!cv::imencode(extension, bgr, encoded)) fail("[image] ", path, ": OpenCV could not encode it as ", extension);
  } catch (const cv::Exception& e) {
    fail("[image] ", path, ": OpenCV could not encode it: ", e.what());
  }
  write_file_atomically(path, std::string(encoded.begin(), encoded.end()));
}

}  // namespace vltune::media
