// vision/image_processor: the three resize policies on hand-made images, normalisation, and
// preprocessor_config.json as HF writes it.
#include "core/atomic_file.h"
#include "test_support.h"
#include "vision/image_processor.h"

namespace vltune::vision {
namespace {

using test::expect_error;

media::Image solid(int width, int height, std::array<uint8_t, 3> left, std::array<uint8_t, 3> right) {
  media::Image image{width, height, std::vector<uint8_t>(static_cast<std::size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) image.rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c] = (x < width / 2 ? left : right)[c];
  return image;
}

VisionConfig tower(const std::string& type, int64_t image_size) {
  const auto json = nlohmann::json{{"model_type", type}, {"image_size", image_size}, {"patch_size", 2},
                                   {"hidden_size", 8}, {"num_attention_heads", 2}};
  return parse_vision_config(JsonView(json, "config.json", "vision_config"));
}

double normalised(double value, const ImageProcessorConfig& c, int channel) {
  return (value / 255.0 - c.mean[channel]) / c.std[channel];
}

TEST(ImageProcessor, ShortestEdgeThenCenterCrop) {
  ImageProcessorConfig c;  // CLIP's mean and std
  c.shortest_edge = 10;
  c.height = c.width = 10;
  const auto pixels = preprocess_image(solid(40, 20, {255, 0, 0}, {0, 0, 255}), c);  // resized to 20x10, crop x 5..14
  ASSERT_EQ(pixels.sizes(), (std::vector<int64_t>{3, 10, 10}));
  EXPECT_NEAR(pixels[0][5][0].item<double>(), normalised(255, c, 0), 1e-5);  // red
  EXPECT_NEAR(pixels[2][5][0].item<double>(), normalised(0, c, 2), 1e-5);
  EXPECT_NEAR(pixels[0][5][9].item<double>(), normalised(0, c, 0), 1e-5);  // blue
  EXPECT_NEAR(pixels[2][5][9].item<double>(), normalised(255, c, 2), 1e-5);
}

TEST(ImageProcessor, PadToSquareWithTheMeanColour) {
  ImageProcessorConfig c;
  c.policy = ResizePolicy::kPadToSquare;
  c.height = c.width = 10;
  c.mean = {0.5, 0.25, 0.75};
  c.std = {0.5, 0.5, 0.5};
  const auto pixels = preprocess_image(solid(10, 4, {255, 255, 255}, {255, 255, 255}), c);  // pasted at rows 3..6
  for (int ch = 0; ch < 3; ++ch) {
    EXPECT_NEAR(pixels[ch][0][0].item<double>(), normalised(static_cast<int>(c.mean[ch] * 255), c, ch), 1e-5) << ch;
    EXPECT_NEAR(pixels[ch][5][5].item<double>(), normalised(255, c, ch), 1e-5) << ch;
  }
}

TEST(ImageProcessor, PlainResizeAndBadImages) {
  ImageProcessorConfig c;
  c.policy = ResizePolicy::kResize;
  c.height = 7;
  c.width = 9;
  EXPECT_EQ(preprocess_image(solid(30, 11, {9, 9, 9}, {9, 9, 9}), c).sizes(), (std::vector<int64_t>{3, 7, 9}));
  expect_error([&] { preprocess_image(media::Image{4, 4, std::vector<uint8_t>(5)}, c); }, {"4x4", "holds 5"});
}

TEST(ImageProcessor, ReadsPreprocessorConfigJson) {
  test::TempDir dir;
  auto clip = image_processor_config(dir.path().string(), tower("clip_vision_model", 30));
  EXPECT_EQ(clip.policy, ResizePolicy::kShortestEdgeCenterCrop);
  EXPECT_EQ(clip.height, 30);
  auto siglip = image_processor_config(dir.path().string(), tower("siglip_vision_model", 32));
  EXPECT_EQ(siglip.policy, ResizePolicy::kResize);
  EXPECT_EQ(siglip.mean[0], 0.5);

  write_file_atomically(dir.file("preprocessor_config.json"),
                        R"({"size": {"shortest_edge": 336}, "crop_size": {"height": 320, "width": 320}, "do_center_crop": true,
                            "image_mean": [0.1, 0.2, 0.3], "image_std": 0.5})");
  auto read = image_processor_config(dir.path().string(), tower("clip_vision_model", 320));
  EXPECT_EQ(read.shortest_edge, 336);
  EXPECT_EQ(read.height, 320);
  EXPECT_EQ(read.width, 320);
  EXPECT_EQ(read.mean[2], 0.3);
  EXPECT_EQ(read.std[1], 0.5);

  write_file_atomically(dir.file("preprocessor_config.json"), R"({"size": {"shortest_edge": 336}, "do_pad": true})");
  EXPECT_EQ(image_processor_config(dir.path().string(), tower("clip_vision_model", 336)).policy, ResizePolicy::kPadToSquare);
  write_file_atomically(dir.file("preprocessor_config.json"), R"({"size": {"height": 384, "width": 384}})");
  auto plain = image_processor_config(dir.path().string(), tower("siglip_vision_model", 384));
  EXPECT_EQ(plain.policy, ResizePolicy::kResize);
  EXPECT_EQ(plain.width, 384);

  write_file_atomically(dir.file("preprocessor_config.json"), R"({"image_mean": [0.1, 0.2]})");
  expect_error([&] { image_processor_config(dir.path().string(), tower("clip_vision_model", 30)); },
               {"preprocessor_config.json", "'image_mean'", "three numbers"});
}

}  // namespace
}  // namespace vltune::vision
