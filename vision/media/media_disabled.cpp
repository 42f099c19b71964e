// Built instead of the OpenCV/FFmpeg sources when vltune is configured without media support.
#include "core/error.h"
#include "vision/media/media.h"

namespace vltune::media {

namespace {
[[noreturn]] void unavailable(const std::string& what, const std::string& path) {
  fail("[media] cannot ", what, " ", path, ": this vltune was built without media support "
       "(VLTUNE_WITH_MEDIA=OFF or OpenCV/FFmpeg missing at configure time); rebuild with "
       "-DVLTUNE_WITH_MEDIA=ON after installing libopencv-dev and the libav*-dev packages");
}
}  // namespace

bool available() { return false; }
Image decode_image(const std::string& path, const MediaLimits&) { unavailable("decode the image", path); }
VideoInfo probe_video(const std::string& path) { unavailable("open the video", path); }
void encode_image(const std::string& path, const Image&) { unavailable("encode the image", path); }
DecodedVideo decode_video(const std::string& path, const FrameSampling&, const MediaLimits&) {
  unavailable("decode the video", path);
}
void draw_shape(Image&, Shape, int, int, int, const std::array<uint8_t, 3>&) { unavailable("draw into an image", "(in memory)"); }
void encode_video_h264(const std::string& path, const std::vector<Image>&, int) { unavailable("encode the video", path); }

}  // namespace vltune::media
