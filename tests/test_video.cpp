// vision/media video: clips made by the ffmpeg CLI and by encode_video_h264 in several containers
// and codecs, decoded back and checked frame by frame (sampling, seeking, rotation, variable frame
// rate, folders of frames), hostile and broken files; in a build without media, the stubs' error.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "test_support.h"
#include "vision/media/media.h"

namespace vltune {
namespace {

// Mean of the RGB values in the rectangle [x, x + width) x [y, y + height).
double region_mean(const media::Image& image, int x, int y, int width, int height) {
  double sum = 0;
  for (int row = y; row < y + height; ++row)
    for (int column = x; column < x + width; ++column)
      for (int channel = 0; channel < 3; ++channel)
        sum += image.rgb[(static_cast<std::size_t>(row) * image.width + column) * 3 + channel];
  return sum / (width * height * 3);
}
double mean(const media::Image& image) { return region_mean(image, 0, 0, image.width, image.height); }

media::Image grey_image(int width, int height, int value) {
  return {width, height, std::vector<uint8_t>(static_cast<std::size_t>(width) * height * 3, static_cast<uint8_t>(value))};
}

// 20 frames at 10 fps whose brightness encodes their index: 20 + 10 * i.
std::string counting_clip(const test::TempDir& dir) {
  std::vector<media::Image> frames;
  for (int i = 0; i < 20; ++i) frames.push_back(grey_image(64, 48, 20 + 10 * i));
  const std::string path = dir.file("counting.mp4");
  media::encode_video_h264(path, frames, 10);
  return path;
}

media::FrameSampling uniform(int64_t num_frames) { return {num_frames, 0, 0}; }
media::FrameSampling every(double fps, int64_t max_frames) { return {0, fps, max_frames}; }

void expect_times(const media::DecodedVideo& video, const std::vector<double>& expected) {
  ASSERT_EQ(video.timestamps.size(), expected.size());
  ASSERT_EQ(video.frames.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(video.timestamps[i], expected[i], 1e-3) << "frame " << i;
}

TEST(Video, DecodesCommonContainersCodecsAndOddSizes) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  struct Case {
    std::string file, encoder, codec;
    int width, height;
  };
  const std::vector<Case> cases = {{"h264.mp4", "-c:v libx264 -pix_fmt yuv420p", "h264", 64, 48},
                                   {"vp9.webm", "-c:v libvpx-vp9 -pix_fmt yuv420p", "vp9", 63, 47},
                                   {"mpeg4.avi", "-c:v mpeg4", "mpeg4", 64, 48},
                                   {"h264-444.mkv", "-c:v libx264 -pix_fmt yuv444p", "h264", 63, 47}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string size = std::to_string(c.width) + "x" + std::to_string(c.height);
    ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i testsrc=size=" + size + ":rate=10 -t 2 " + c.encoder + " " + dir.file(c.file)));
    const auto video = media::decode_video(dir.file(c.file), uniform(4));
    EXPECT_EQ(video.info.codec, c.codec);
    EXPECT_NEAR(video.info.duration_seconds, 2.0, 0.05);
    // Targets 0.25, 0.75, 1.25, 1.75 s: the frames on screen then were presented 0.05 s earlier.
    expect_times(video, {0.2, 0.7, 1.2, 1.7});
    for (const auto& frame : video.frames) {
      EXPECT_EQ(frame.width, c.width);
      EXPECT_EQ(frame.height, c.height);
      EXPECT_EQ(frame.rgb.size(), static_cast<std::size_t>(c.width) * c.height * 3);
    }
    EXPECT_NE(video.frames[0].rgb, video.frames[3].rgb);  // testsrc's counter and sweep move
  }
}

TEST(Video, UniformSamplingTakesTheFrameOnScreenAtEachSegmentMiddle) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::string clip = counting_clip(dir);
  const auto five = media::decode_video(clip, uniform(5));  // targets 0.2, 0.6, 1.0, 1.4, 1.8 s
  expect_times(five, {0.2, 0.6, 1.0, 1.4, 1.8});
  for (std::size_t k = 0; k < 5; ++k) EXPECT_NEAR(mean(five.frames[k]), 20 + 10 * (2 + 4 * k), 4) << "frame " << k;
  EXPECT_EQ(five.info.codec, "h264");
  EXPECT_NEAR(five.info.frames_per_second, 10, 1e-6);
  // As many samples as frames: every frame exactly once, first and last included.
  const auto all = media::decode_video(clip, uniform(20));
  ASSERT_EQ(all.frames.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(all.timestamps[i], 0.1 * i, 1e-3);
    EXPECT_NEAR(mean(all.frames[i]), 20 + 10 * i, 4) << "frame " << i;
  }
}

TEST(Video, FpsSamplingStopsAtMaxFramesOrTheEnd) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::string clip = counting_clip(dir);
  const auto three = media::decode_video(clip, every(2, 3));
  expect_times(three, {0.0, 0.5, 1.0});
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(mean(three.frames[k]), 20 + 10 * 5 * k, 4);
  expect_times(media::decode_video(clip, every(2, 100)), {0.0, 0.5, 1.0, 1.5});
  test::expect_error([&] { media::decode_video(clip, every(0, 10)); }, {"counting.mp4", "num_frames > 0"});
}

TEST(Video, EncodedSquareMovesInTheRoundTrip) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  std::vector<media::Image> frames;
  for (int i = 0; i < 12; ++i) {
    media::Image frame = grey_image(64, 48, 0);
    for (int y = 20; y < 28; ++y)
      for (int x = 4 * i; x < 4 * i + 8; ++x) std::fill_n(&frame.rgb[(y * 64 + x) * 3], 3, 255);
    frames.push_back(std::move(frame));
  }
  const std::string path = dir.file("square.mp4");
  media::encode_video_h264(path, frames, 10);
  const auto video = media::decode_video(path, uniform(12));
  EXPECT_EQ(video.info.width, 64);
  EXPECT_EQ(video.info.height, 48);
  EXPECT_EQ(video.info.frame_count, 12);
  ASSERT_EQ(video.frames.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(video.frames[i].width, 64);
    EXPECT_EQ(video.frames[i].height, 48);
    EXPECT_GT(region_mean(video.frames[i], 4 * i + 1, 21, 6, 6), 200);  // the square's inside
    EXPECT_LT(region_mean(video.frames[i], 4 * i + 1, 5, 6, 6), 30);    // above it
    if (i >= 3) {
      EXPECT_LT(region_mean(video.frames[i], 1, 21, 6, 6), 30);  // where it started
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string(), "square.mp4");  // no temporary file left beside it
}

TEST(Video, SeeksInALongClipAndKeepsContentAndTimeTogether) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::string path = dir.file("long.mp4");
  // 60 s at 5 fps, a key frame every 2 s, luma 20 + 3 * whole seconds (limited range: RGB 0 is 16).
  ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i color=c=black:size=64x48:rate=5:duration=60 -vf "
                     "\"format=yuv444p,geq=lum='20+3*floor(T)':cb=128:cr=128,format=yuv420p\" "
                     "-c:v libx264 -g 10 " + path));
  const auto video = media::decode_video(path, uniform(4));  // targets 7.5, 22.5, 37.5, 52.5 s
  expect_times(video, {7.4, 22.4, 37.4, 52.4});
  for (std::size_t k = 0; k < 4; ++k) {
    const double luma = 20 + 3 * std::floor(video.timestamps[k]);
    EXPECT_NEAR(mean(video.frames[k]), (luma - 16) * 255 / 219, 4) << "frame " << k;
  }
  expect_times(media::decode_video(path, every(0.1, 3)), {0.0, 10.0, 20.0});
}

TEST(Video, RotationMetadataTurnsFramesUprightLikeTheFfmpegCli) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  // 64x48, white box in the top-left corner; remuxed with rotation tags.
  ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i \"color=c=black:size=64x48:rate=10,drawbox=x=0:y=0:w=16:h=12:color=white:t=fill\" "
                     "-t 1 -c:v libx264 -pix_fmt yuv444p " + dir.file("plain.mp4")));
  struct Case {
    int rotate;
    int corner_x, corner_y;  // where the box must end up in the upright 48x64 frame
  };
  // The tag's number is the counter-clockwise turn ffmpeg applies on playback.
  for (const Case c : {Case{90, 0, 64 - 12}, Case{270, 48 - 12, 0}}) {
    SCOPED_TRACE(c.rotate);
    const std::string rotated = dir.file("rotated" + std::to_string(c.rotate) + ".mp4");
    ASSERT_TRUE(test::run_ffmpeg("-i " + dir.file("plain.mp4") + " -c copy -metadata:s:v rotate=" + std::to_string(c.rotate) + " " + rotated));
    const auto video = media::decode_video(rotated, uniform(1));
    ASSERT_EQ(video.frames.size(), 1u);
    const auto& frame = video.frames[0];
    ASSERT_EQ(frame.width, 48);
    ASSERT_EQ(frame.height, 64);
    EXPECT_GT(region_mean(frame, c.corner_x + 2, c.corner_y + 2, 8, 8), 220);
    EXPECT_LT(region_mean(frame, 48 - c.corner_x - 12 + 2, 64 - c.corner_y - 12 + 2, 8, 8), 30);
    // The ffmpeg CLI's own autorotated output is the reference.
    const std::string reference = dir.file("reference" + std::to_string(c.rotate) + ".png");
    ASSERT_TRUE(test::run_ffmpeg("-i " + rotated + " -frames:v 1 " + reference));
    const auto expected = media::decode_image(reference);
    ASSERT_EQ(expected.width, 48);
    ASSERT_EQ(expected.height, 64);
    double difference = 0;
    for (std::size_t i = 0; i < frame.rgb.size(); ++i) difference += std::abs(frame.rgb[i] - expected.rgb[i]);
    EXPECT_LT(difference / frame.rgb.size(), 3);
  }
}

TEST(Video, VariableFrameRateIsSampledByPresentationTime) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::string path = dir.file("vfr.mp4");
  // 1 s of dark frames at 2 fps, then 1 s of bright frames at 10 fps: frames at 0, 0.5, 1.0, 1.1, ...
  ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i color=c=0x323232:size=64x48:rate=2:duration=1 "
                     "-f lavfi -i color=c=0xc8c8c8:size=64x48:rate=10:duration=1 "
                     "-filter_complex \"[0][1]concat=n=2:v=1[v]\" -map \"[v]\" -fps_mode vfr "
                     "-c:v libx264 -pix_fmt yuv420p " + path));
  const auto video = media::decode_video(path, every(4, 8));
  expect_times(video, {0.0, 0.0, 0.5, 0.5, 1.0, 1.2, 1.5, 1.7});
  for (std::size_t k = 0; k < video.frames.size(); ++k)
    EXPECT_NEAR(mean(video.frames[k]), k < 4 ? 50 : 200, 4) << "frame " << k;
}

TEST(Video, FolderOfFrameImagesIsAVideo) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::filesystem::path folder = dir.path() / "frames";
  std::filesystem::create_directory(folder);
  for (int i = 0; i < 6; ++i) media::encode_image((folder / ("frame_00" + std::to_string(i) + ".png")).string(), grey_image(6, 4, 10 * i));
  std::ofstream(folder / "notes.txt") << "not a frame";
  const auto three = media::decode_video(folder.string(), uniform(3));  // frames 1, 3, 5
  EXPECT_EQ(three.info.frame_count, 6);
  EXPECT_EQ(three.info.width, 6);
  EXPECT_EQ(three.info.height, 4);
  expect_times(three, {1, 3, 5});
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(three.frames[k].rgb, grey_image(6, 4, 10 * (2 * k + 1)).rgb);
  const auto fps = media::decode_video(folder.string(), every(2, 4));  // 2 fps: frame i at i / 2 s
  expect_times(fps, {0, 0.5, 1, 1.5});
  EXPECT_EQ(fps.frames[3].rgb, grey_image(6, 4, 30).rgb);
  std::filesystem::create_directory(dir.path() / "empty");
  test::expect_error([&] { media::decode_video((dir.path() / "empty").string(), uniform(2)); },
                     {"empty", "no frame images"});
  media::MediaLimits small;
  small.max_width = 5;
  test::expect_error([&] { media::decode_video(folder.string(), uniform(1), small); }, {"frame_00", "exceed the limit"});
}

TEST(Video, EncodesImagesByExtension) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  media::Image image = grey_image(5, 3, 0);
  for (std::size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = static_cast<uint8_t>(i * 5);
  for (const std::string name : {"a.png", "a.BMP", "a.webp", "a.jpg"}) {
    SCOPED_TRACE(name);
    media::encode_image(dir.file(name), image);
    const auto decoded = media::decode_image(dir.file(name));
    EXPECT_EQ(decoded.width, 5);
    EXPECT_EQ(decoded.height, 3);
    if (name == "a.png" || name == "a.BMP") EXPECT_EQ(decoded.rgb, image.rgb);  // lossless, channel order kept
    else EXPECT_NEAR(mean(decoded), mean(image), 8);
  }
  test::expect_error([&] { media::encode_image(dir.file("a.gif"), image); }, {"a.gif", "unknown extension"});
  test::expect_error([&] { media::encode_image(dir.file("b.png"), grey_image(0, 0, 0)); }, {"b.png", "0x0"});
  test::expect_error([&] { media::encode_image(dir.file("missing/c.png"), image); }, {"missing/c.png"});
}

TEST(Video, TruncatedFilesGiveTheirFirstFramesOrAClearError) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  // MP4 with its index at the end (cut off), MP4 with the index first (frames survive), Matroska.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"index-last.mp4", "-c:v libx264 -pix_fmt yuv420p"},
      {"index-first.mp4", "-c:v libx264 -pix_fmt yuv420p -movflags +faststart"},
      {"clip.mkv", "-c:v libx264 -pix_fmt yuv420p"}};
  for (const auto& [name, encoder] : cases) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name);
    ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i testsrc=size=160x120:rate=10 -t 4 -g 10 " + encoder + " " + path));
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    try {
      const auto video = media::decode_video(path, uniform(8));
      EXPECT_NE(name, "index-last.mp4") << "without its index an MP4 cannot be read";
      ASSERT_FALSE(video.frames.empty());
      ASSERT_EQ(video.frames.size(), video.timestamps.size());
      for (std::size_t k = 0; k < video.frames.size(); ++k) {
        EXPECT_EQ(video.frames[k].width, 160);
        EXPECT_LT(video.timestamps[k], 4.0);
        if (k) {
          EXPECT_GE(video.timestamps[k], video.timestamps[k - 1]);
        }
      }
    } catch (const Error& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr(path)) << e.what();
      EXPECT_EQ(name, "index-last.mp4") << e.what();
    }
  }
}

TEST(Video, BrokenFilesAreClearErrors) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  std::ofstream(dir.file("junk.mp4")) << std::string(4096, 'x');
  std::ofstream(dir.file("empty.mkv")).flush();
  test::expect_error([&] { media::decode_video(dir.file("junk.mp4"), uniform(2)); }, {"[video]", "junk.mp4", "cannot open"});
  test::expect_error([&] { media::decode_video(dir.file("empty.mkv"), uniform(2)); }, {"empty.mkv", "cannot open"});
  test::expect_error([&] { media::decode_video(dir.file("missing.mp4"), uniform(2)); }, {"missing.mp4", "cannot open"});
  ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i sine=duration=1 " + dir.file("sound.m4a")));
  test::expect_error([&] { media::decode_video(dir.file("sound.m4a"), uniform(2)); }, {"sound.m4a", "no video stream"});
  // An MP4 whose index lists frames but whose data is gone: a stream with zero decodable frames.
  const std::string hollow = dir.file("hollow.mp4");
  ASSERT_TRUE(test::run_ffmpeg("-f lavfi -i testsrc=size=64x48:rate=10 -t 1 -c:v libx264 -movflags +faststart " + hollow));
  std::ifstream in(hollow, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto data = bytes.find("mdat");
  ASSERT_NE(data, std::string::npos);
  std::filesystem::resize_file(hollow, data + 4);
  test::expect_error([&] { media::decode_video(hollow, uniform(2)); }, {"hollow.mp4", "contains no decodable frames"});
}

TEST(Video, LimitsRejectLargeFramesAndSlowFiles) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::string clip = counting_clip(dir);
  media::MediaLimits narrow;
  narrow.max_width = 32;
  test::expect_error([&] { media::decode_video(clip, uniform(2), narrow); }, {"counting.mp4", "64x48", "exceed the limit of 32x8192"});
  media::MediaLimits instant;
  instant.timeout_seconds = 1e-9;
  test::expect_error([&] { media::decode_video(clip, uniform(2), instant); }, {"counting.mp4", "timed out after 1e-09 s"});
}

TEST(Video, EncoderRejectsFramesItCannotEncode) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  const std::string path = dir.file("bad.mp4");
  test::expect_error([&] { media::encode_video_h264(path, {}, 10); }, {"bad.mp4", "no frames"});
  test::expect_error([&] { media::encode_video_h264(path, {grey_image(63, 48, 0)}, 10); }, {"bad.mp4", "even", "63x48"});
  test::expect_error([&] { media::encode_video_h264(path, {grey_image(64, 48, 0), grey_image(32, 48, 0)}, 10); },
                     {"bad.mp4", "frame 1 is 32x48"});
  test::expect_error([&] { media::encode_video_h264(path, {grey_image(64, 48, 0)}, 0); }, {"bad.mp4", "fps"});
  EXPECT_FALSE(std::filesystem::exists(path));
}
TEST(Video, DisabledBuildThrowsAClearError) {
  if (media::available()) GTEST_SKIP() << "this build has media support: the tests above check it";
  test::expect_error([] { media::decode_video("v.mp4", {}); }, {"v.mp4", "built without media support"});
  test::expect_error([] { media::encode_video_h264("o.mp4", {}, 10); }, {"o.mp4", "built without media support"});
  test::expect_error([] { media::encode_image("i.png", {}); }, {"i.png", "built without media support"});
}

}  // namespace
}  // namespace vltune
