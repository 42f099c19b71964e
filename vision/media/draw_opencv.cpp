// draw_shape (media.h) with OpenCV, straight into the Image's RGB buffer.
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "vision/media/media.h"

namespace vltune::media {

void draw_shape(Image& image, Shape shape, int cx, int cy, int size, const std::array<uint8_t, 3>& rgb) {
  if (image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    fail("[image] cannot draw into a ", image.width, "x", image.height, " image holding ", image.rgb.size(), " bytes");
  cv::Mat canvas(image.height, image.width, CV_8UC3, image.rgb.data());  // RGB order, drawn as given
  const cv::Scalar colour(rgb[0], rgb[1], rgb[2]);
  switch (shape) {
    case Shape::kCircle:
      cv::circle(canvas, {cx, cy}, size, colour, cv::FILLED, cv::LINE_AA);
      break;
    case Shape::kSquare:
      cv::rectangle(canvas, {cx - size, cy - size}, {cx + size, cy + size}, colour, cv::FILLED);
      break;
    case Shape::kTriangle: {
      const std::vector<cv::Point> corners = {{cx, cy - size}, {cx - size, cy + size}, {cx + size, cy + size}};
      cv::fillConvexPoly(canvas, corners, colour, cv::LINE_AA);
      break;
    }
  }
}

}  // namespace vltune::media
