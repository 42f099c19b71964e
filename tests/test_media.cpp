// vision/media: real images written by OpenCV and videos encoded by the ffmpeg CLI, decoded back;
// in a build without media support, the stubs' error.
#include <cstdlib>

#include "test_support.h"
#include "vision/media/media.h"

#ifdef VLTUNE_TEST_MEDIA
#include <opencv2/imgcodecs.hpp>
#endif

namespace vltune {
namespace {

#ifdef VLTUNE_TEST_MEDIA
TEST(Media, DecodesGrayscaleAlphaAndColourToRgb) {
  test::TempDir dir;
  cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));  // B, G, R
  cv::Mat gray(4, 6, CV_8UC1, cv::Scalar(77));
  cv::Mat bgra(4, 6, CV_8UC4, cv::Scalar(1, 2, 3, 128));
  ASSERT_TRUE(cv::imwrite(dir.file("c.png"), bgr));
  ASSERT_TRUE(cv::imwrite(dir.file("g.bmp"), gray));
  ASSERT_TRUE(cv::imwrite(dir.file("a.png"), bgra));
  const auto colour = media::decode_image(dir.file("c.png"));
  EXPECT_EQ(colour.width, 6);
  EXPECT_EQ(colour.height, 4);
  EXPECT_EQ((std::vector<int>{colour.rgb[0], colour.rgb[1], colour.rgb[2]}), (std::vector<int>{30, 20, 10}));
  const auto grey = media::decode_image(dir.file("g.bmp"));
  EXPECT_EQ((std::vector<int>{grey.rgb[0], grey.rgb[1], grey.rgb[2]}), (std::vector<int>{77, 77, 77}));
  const auto alpha = media::decode_image(dir.file("a.png"));
  EXPECT_EQ((std::vector<int>{alpha.rgb[0], alpha.rgb[1], alpha.rgb[2]}), (std::vector<int>{3, 2, 1}));
  test::expect_error([&] { media::decode_image(dir.file("missing.png")); }, {"missing.png"});
}

TEST(Media, ProbesAVideoEncodedByFfmpeg) {
  test::TempDir dir;
  const std::string video = dir.file("clip.mp4");
  const std::string command = "ffmpeg -loglevel error -f lavfi -i testsrc=size=64x48:rate=10 -t 2 -c:v libx264 "
                              "-pix_fmt yuv420p -y " + video;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const auto info = media::probe_video(video);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_NEAR(info.frames_per_second, 10.0, 1e-6);
  EXPECT_NEAR(info.duration_seconds, 2.0, 0.15);
  test::expect_error([&] { media::probe_video(dir.file("nope.mp4")); }, {"nope.mp4", "cannot open"});
}
#else
TEST(Media, DisabledBuildThrowsAClearError) {
  EXPECT_FALSE(media::available());
  test::expect_error([] { media::decode_image("x.png"); }, {"x.png", "built without media support", "VLTUNE_WITH_MEDIA"});
  test::expect_error([] { media::probe_video("v.mp4"); }, {"v.mp4", "built without media support"});
}
#endif

}  // namespace
}  // namespace vltune
