// vision/media: real images written by OpenCV and videos encoded by the ffmpeg CLI, decoded back;
// in a build without media support, the stubs' error.
#include <cstdlib>

#include "opencv_support.h"
#include "test_support.h"
#include "vision/media/media.h"


namespace vltune {
namespace {

TEST(Media, DecodesGrayscaleAlphaAndColourToRgb) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  test::opencv_write_image(dir.file("c.png"), 4, 6, 3, {10, 20, 30, 0});  // B, G, R
  test::opencv_write_image(dir.file("g.bmp"), 4, 6, 1, {77, 0, 0, 0});
  test::opencv_write_image(dir.file("a.png"), 4, 6, 4, {1, 2, 3, 128});
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
  SKIP_WITHOUT_MEDIA();
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
TEST(Media, DisabledBuildThrowsAClearError) {
  if (media::available()) GTEST_SKIP() << "this build has media support: the tests above check it";
  EXPECT_FALSE(media::available());
  test::expect_error([] { media::decode_image("x.png"); }, {"x.png", "built without media support", "VLTUNE_WITH_MEDIA"});
  test::expect_error([] { media::probe_video("v.mp4"); }, {"v.mp4", "built without media support"});
}

}  // namespace
}  // namespace vltune
