// Images through OpenCV: decoding any format it reads to RGB, encoding by the file's extension.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "vision/media/image_header.h"
#include "vision/media/media.h"

namespace vltune::media {

bool available() { return true; }

Image decode_image(const std::string& path, const MediaLimits& limits) {
  const std::string bytes = read_file_limited(path, limits.max_file_bytes, "[image]");
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto header = read_image_header(data, bytes.size());
  if (!header) fail("[image] ", path, ": not a PNG, JPEG, WebP or BMP image (or its header is cut short)");
  // The size the header states, checked before OpenCV allocates the pixels.
  if (header->width <= 0 || header->height <= 0 || header->width > limits.max_width || header->height > limits.max_height)
    fail("[image] ", path, ": its ", header->format, " header states ", header->width, "x", header->height,
         " pixels, which exceed the limit of ", limits.max_width, "x", limits.max_height, " (media limits are configurable)");
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail("[image] ", path, ": ", bytes.size(), " bytes is more than OpenCV decodes");
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(data)), cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    fail("[image] ", path, ": OpenCV could not decode it: ", e.what());
  }
  if (decoded.empty()) fail("[image] ", path, ": OpenCV could not decode this ", header->format, " file (corrupt or truncated?)");
  if (decoded.cols != header->width || decoded.rows != header->height)
    fail("[image] ", path, ": decoded ", decoded.cols, "x", decoded.rows, " pixels but its header states ", header->width,
         "x", header->height);
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
