// vision/resample.h: the fixed-point antialiased bicubic taps worked out by hand (Keys' cubic,
// a = -0.5), one pass along each axis, rounding and clamping. Bit equality with transformers'
// processor on real PNGs is tests/test_qwen2_vl.cpp's ProcessorPixelValuesOfResizedPngs.
#include <gtest/gtest.h>

#include "test_support.h"
#include "vision/resample.h"

namespace vltune::vision {
namespace {

// A grey image (the three channels equal) of width x height from row-major values.
media::Image grey(int width, int height, const std::vector<uint8_t>& values) {
  media::Image image{width, height, {}};
  for (uint8_t v : values) image.rgb.insert(image.rgb.end(), {v, v, v});
  return image;
}

std::vector<int> channel(const media::Image& image, int c) {
  std::vector<int> out;
  for (std::size_t i = c; i < image.rgb.size(); i += 3) out.push_back(image.rgb[i]);
  return out;
}

// Halving 4 -> 2: support 4, output 0 centred on input 1.0 reads inputs 0..3 at distances
// (j + 0.5 - 1) / 2 = -0.25, 0.25, 0.75, 1.25, where the kernel is 0.8671875, 0.8671875,
// 0.2265625, -0.0703125 (sum 1.890625). The largest normalised weight, 0.45868, fits 2^16.
TEST(Resample, TapsOfAHalvingByHand) {
  const auto t = bicubic_antialias_taps(4, 2);
  EXPECT_EQ(t.precision, 16);
  EXPECT_EQ(t.first, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(t.count, (std::vector<int64_t>{4, 4}));
  ASSERT_EQ(t.taps_per_output, 9);  // ceil(4) * 2 + 1
  EXPECT_EQ(std::vector<int32_t>(t.taps.begin(), t.taps.begin() + 4), (std::vector<int32_t>{30060, 30060, 7853, -2437}));
  EXPECT_EQ(std::vector<int32_t>(t.taps.begin() + 9, t.taps.begin() + 13), (std::vector<int32_t>{-2437, 7853, 30060, 30060}));
}

// Doubling 2 -> 4: support 2 (not stretched), output 0 centred on 0.25 reads inputs 0 and 1 at
// 0.25 and 1.25: 0.8671875 and -0.0703125, normalised 1.08824 and -0.08824; 1.08824 fits 2^14.
TEST(Resample, TapsOfADoublingByHand) {
  const auto t = bicubic_antialias_taps(2, 4);
  EXPECT_EQ(t.precision, 14);
  ASSERT_EQ(t.taps_per_output, 5);
  EXPECT_EQ(t.first[0], 0);
  EXPECT_EQ(t.count[0], 2);
  EXPECT_EQ(t.taps[0], 17830);
  EXPECT_EQ(t.taps[1], -1446);
}

// Each output is (2^(p-1) + sum of taps x inputs) >> p, clamped: the ringing of an edge clamps
// at 255 and at 0.
TEST(Resample, RoundsAndClampsEachPass) {
  auto halved = resize_bicubic_antialias(grey(4, 1, {0, 0, 255, 255}), 1, 2);
  EXPECT_EQ(channel(halved, 1), (std::vector<int>{21, 234}));  // (32768 + 255 * 5416) >> 16, (32768 + 255 * 60120) >> 16
  EXPECT_EQ(channel(resize_bicubic_antialias(grey(2, 1, {255, 0}), 1, 4), 0)[0], 255);  // 278 before the clamp
  EXPECT_EQ(channel(resize_bicubic_antialias(grey(2, 1, {0, 255}), 1, 4), 2)[0], 0);    // negative before the clamp
  // The same along a column: height is the second pass's axis.
  const auto column = resize_bicubic_antialias(grey(1, 4, {0, 0, 255, 255}), 2, 1);
  EXPECT_EQ(column.width, 1);
  EXPECT_EQ(column.height, 2);
  EXPECT_EQ(channel(column, 0), (std::vector<int>{21, 234}));
}

TEST(Resample, SameSizeIsUnchangedAndBadSizesAreErrors) {
  const auto image = grey(3, 2, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(resize_bicubic_antialias(image, 2, 3).rgb, image.rgb);
  test::expect_error([&] { resize_bicubic_antialias(image, 0, 3); }, {"[image] cannot resize an image to 3x0"});
  auto short_of_bytes = image;
  short_of_bytes.rgb.pop_back();
  test::expect_error([&] { resize_bicubic_antialias(short_of_bytes, 4, 4); }, {"must hold width*height*3 bytes"});
}

}  // namespace
}  // namespace vltune::vision
