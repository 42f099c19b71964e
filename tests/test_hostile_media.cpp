// Hostile media, media caches and tokenizer paths (issue 12): images whose header states a huge
// size, FIFOs where files belong, unbounded frame counts, damaged cache indexes. Each case hung,
// crashed or allocated gigabytes before its fix; now each is a vltune::Error naming the file.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/safetensors.h"
#include "datasets/media_cache.h"
#include "language/tokenizer.h"
#include "test_support.h"
#include "vision/image_processor.h"
#include "vision/media/image_header.h"
#include "vision/media/media.h"

namespace vltune {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::TempDir;

std::string read_bytes(const std::string& path) { return test::read_text_file(path); }

TEST(HostileFiles, FifoOrDirectoryAsTokenizerIsRefused) {
  TempDir dir;
  // A directory killed the SentencePiece process ("stopped answering"); now it is a model folder,
  // and one without a tokenizer is an error naming it.
  expect_error([&] { language::Tokenizer::load(dir.path().string()); },
               {dir.path().string(), "no tokenizer.json or tokenizer.model"});
  ASSERT_EQ(::mkfifo(dir.file("tokenizer.model").c_str(), 0600), 0);
  expect_error([&] { language::Tokenizer::from_model_dir(dir.path().string()); }, {"tokenizer.model", "FIFO"});
}

TEST(HostileMedia, FrameCountsAreBounded) {
  media::FrameSampling sampling;
  sampling.num_frames = 1000000000;  // a vector of a billion sample times, then a billion frames
  expect_error([&] { media::frames_per_clip(sampling, "[video] clip.mp4"); },
               {"clip.mp4", "num_frames 1000000000", "more than the 1024 frames"});
  sampling.num_frames = 0;
  sampling.fps = 2;
  sampling.max_frames = 5000;
  expect_error([&] { media::frames_per_clip(sampling, "[video] clip.mp4"); }, {"max_frames 5000"});
  sampling.max_frames = 40;
  EXPECT_EQ(media::frames_per_clip(sampling, "[video] clip.mp4"), 40);
  sampling.fps = std::nan("");
  expect_error([&] { media::frames_per_clip(sampling, "[video] clip.mp4"); }, {"fps nan"});
}

TEST(HostileMedia, ExtremeAspectRatioIsRefusedBeforeResizing) {
  vision::ImageProcessorConfig config;  // shortest edge 224, crop 224
  const media::Image strip{2, 100, std::vector<uint8_t>(2 * 100 * 3, 7)};  // 2 wide: 224 x 11200 after resizing
  expect_error([&] { vision::resize_image(strip, config); }, {"2x100", "224x11200", "aspect ratio"});
}

TEST(HostilePreprocessor, SizesAreBoundedAndMustFitTheTower) {
  TempDir dir;
  const auto tower_json = nlohmann::json{{"model_type", "clip_vision_model"}, {"image_size", 30}, {"patch_size", 6},
                                         {"hidden_size", 8}, {"num_attention_heads", 2}};
  const auto tower = vision::parse_vision_config(JsonView(tower_json, "config.json", "vision_config"));
  write_file_atomically(dir.file("preprocessor_config.json"), R"({"size": {"shortest_edge": 200000}, "crop_size": 30})");
  expect_error([&] { vision::image_processor_config(dir.path().string(), tower); },
               {"preprocessor_config.json", "'size.shortest_edge'", "200000 is out of range"});
  write_file_atomically(dir.file("preprocessor_config.json"), R"({"size": {"height": 200000, "width": 200000}})");
  expect_error([&] { vision::image_processor_config(dir.path().string(), tower); }, {"'size.height'", "out of range"});
  write_file_atomically(dir.file("preprocessor_config.json"), R"({"size": {"shortest_edge": 40}, "crop_size": 40})");
  expect_error([&] { vision::image_processor_config(dir.path().string(), tower); },
               {"'crop_size'", "40x40", "vision tower takes 30x30"});
  write_file_atomically(dir.file("preprocessor_config.json"), R"({"image_mean": [0.5, "x", 0.5]})");
  expect_error([&] { vision::image_processor_config(dir.path().string(), tower); }, {"'image_mean'", "three numbers"});
}

uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_big_endian(std::string& bytes, std::size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(value >> (24 - 8 * i));
}

// A real PNG written by OpenCV whose IHDR (CRC recomputed) then claims `width` x `height`.
std::string png_claiming(const TempDir& dir, uint32_t width, uint32_t height) {
  const auto path = dir.file("small.png");
  media::encode_image(path, media::Image{4, 4, std::vector<uint8_t>(48, 200)});
  std::string bytes = read_bytes(path);
  put_big_endian(bytes, 16, width);
  put_big_endian(bytes, 20, height);
  put_big_endian(bytes, 29, crc32(bytes.substr(12, 17)));  // over "IHDR" and its 13 bytes
  const auto claiming = dir.file("claims.png");
  write_file_atomically(claiming, bytes);
  return claiming;
}

TEST(HostileMedia, ImageSizeIsCheckedFromTheHeaderBeforeDecoding) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  // 31 KB claiming 16000x16000 took 1.9 GB before; now refused from its first 24 bytes.
  const auto big = png_claiming(dir, 16000, 16000);
  expect_error([&] { media::decode_image(big); }, {"claims.png", "PNG header states 16000x16000", "8192x8192"});
  media::MediaLimits limits;
  limits.max_width = limits.max_height = 3;
  expect_error([&] { media::decode_image(dir.file("small.png"), limits); }, {"small.png", "4x4", "3x3"});
  EXPECT_EQ(media::decode_image(dir.file("small.png")).width, 4);
  limits = {};
  limits.max_file_bytes = 10;
  expect_error([&] { media::decode_image(dir.file("small.png"), limits); }, {"small.png", "10-byte limit"});
  std::ofstream(dir.file("notes.png")) << "plain text, not an image";
  expect_error([&] { media::decode_image(dir.file("notes.png")); }, {"notes.png", "not a PNG, JPEG, WebP or BMP"});
}

TEST(HostileMedia, HeaderReaderKnowsEachFormatOpenCvWrites) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  for (const std::string extension : {".png", ".jpg", ".webp", ".bmp"}) {
    const auto path = dir.file("image" + extension);
    media::encode_image(path, media::Image{37, 11, std::vector<uint8_t>(37 * 11 * 3, 90)});
    const std::string bytes = read_bytes(path);
    const auto header = media::read_image_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ASSERT_TRUE(header) << extension;
    EXPECT_EQ(header->width, 37) << extension;
    EXPECT_EQ(header->height, 11) << extension;
    // Every prefix is either unknown or the same answer, never a read past the end.
    for (std::size_t cut = 0; cut < std::min<std::size_t>(bytes.size(), 64); ++cut) {
      const auto partial = media::read_image_header(reinterpret_cast<const uint8_t*>(bytes.data()), cut);
      if (partial) {
        EXPECT_EQ(partial->width, 37) << extension << " cut at " << cut;
      }
    }
  }
}

TEST(HostileMedia, DecodingChecksTheFrameCountBeforeOpening) {
  SKIP_WITHOUT_MEDIA();
  media::FrameSampling sampling;
  sampling.num_frames = 1000000000;
  expect_error([&] { media::decode_video("/nonexistent/clip.mp4", sampling); }, {"clip.mp4", "num_frames 1000000000"});
}

TEST(HostileMedia, FifoGivenAsImageOrVideoIsRefused) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("image.png").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(dir.file("clip.mp4").c_str(), 0600), 0);
  expect_error([&] { media::decode_image(dir.file("image.png")); }, {"image.png", "FIFO"});
  expect_error([&] { media::decode_video(dir.file("clip.mp4"), media::FrameSampling{}); }, {"clip.mp4", "FIFO"});
  expect_error([&] { media::probe_video(dir.file("clip.mp4")); }, {"clip.mp4", "FIFO"});
}

// A media cache of one real image, whose index.json each case then damages: in the frames layout
// (resized to 8 x 8), or with `patches` in the patch layout (Qwen's processor; a 56 x 56 image,
// which it keeps at its size).
struct CacheFixture {
  TempDir dir;
  datasets::MediaSettings settings;
  std::string cache;
  explicit CacheFixture(bool patches = false) {
    settings.image.policy = vision::ResizePolicy::kResize;
    settings.image.height = settings.image.width = 8;
    if (patches) settings.patches = vision::QwenProcessorConfig{};
    const int side = patches ? 56 : 5;
    media::encode_image(dir.file("a.png"), media::Image{side, side + (patches ? 0 : 1),
                                                        std::vector<uint8_t>(static_cast<size_t>(side * (side + (patches ? 0 : 1)) * 3), 50)});
    datasets::BadSamples bad(datasets::OnBadSample::kError);
    cache = dir.file("cache");
    datasets::build_media_cache({{dir.file("a.png"), false}}, settings, cache, bad);
  }
  void set_index(const std::function<void(nlohmann::json&)>& edit) const {
    auto index = read_json_file(cache + "/index.json");
    edit(index);
    write_file_atomically(cache + "/index.json", index.dump());
  }
  // The image's entry with `third` (raw JSON text) after the tensor name.
  void set_entry_with(const std::string& third) const {
    auto index = read_json_file(cache + "/index.json");
    const auto entry = index["media"][dir.file("a.png")];
    index["media"][dir.file("a.png")] = "ENTRY";
    auto text = index.dump();
    text.replace(text.find("\"ENTRY\""), 7, "[" + entry[0].dump() + ", " + entry[1].dump() + ", " + third + "]");
    write_file_atomically(cache + "/index.json", text);
  }
};

TEST(HostileMediaCache, IndexEntriesAreTypeChecked) {
  SKIP_WITHOUT_MEDIA();
  CacheFixture f;
  EXPECT_EQ(datasets::MediaCache::open(f.cache, f.settings).size(), 1u);
  f.set_index([&](auto& index) { index["media"][f.dir.file("a.png")] = {1, 2}; });
  expect_error([&] { datasets::MediaCache::open(f.cache, f.settings); }, {"index.json", "a.png", "expected [shard file, tensor name]"});
  f.set_index([&](auto& index) { index["media"] = "everything"; });
  expect_error([&] { datasets::MediaCache::open(f.cache, f.settings); }, {"index.json", "'media'", "expected an object"});
}

// A key that names no file (empty, or with a NUL byte) opens, kept as it is, and takes nothing
// from the real entries: the lookups compare absolute paths, and making "" absolute throws.
TEST(HostileMediaCache, KeysThatNameNoFileOpenWithoutHarm) {
  SKIP_WITHOUT_MEDIA();
  CacheFixture f;
  f.set_index([&](auto& index) {
    const auto entry = index["media"][f.dir.file("a.png")];
    index["media"][""] = entry;
    index["media"][std::string("a\0b.png", 7)] = entry;
  });
  const auto cache = datasets::MediaCache::open(f.cache, f.settings);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.find(f.dir.file("a.png")));
  EXPECT_FALSE(cache.find("a"));
}

TEST(HostileMediaCache, ShardsStayInsideTheCache) {
  SKIP_WITHOUT_MEDIA();
  CacheFixture f;
  TempDir outside;
  fs::copy_file(f.cache + "/media-00000.safetensors", outside.file("x.safetensors"));
  fs::create_symlink(outside.file("x.safetensors"), f.cache + "/link.safetensors");
  f.set_index([&](auto& index) { index["media"][f.dir.file("a.png")] = {"link.safetensors", "m0"}; });
  expect_error([&] { datasets::MediaCache::open(f.cache, f.settings); }, {"index.json", "link.safetensors", "outside"});
  f.set_index([&](auto& index) { index["media"][f.dir.file("a.png")] = {"../x.safetensors", "m0"}; });
  expect_error([&] { datasets::MediaCache::open(f.cache, f.settings); }, {"must be a file name inside"});
}

TEST(HostileMediaCache, CachedTensorsMustBeThePixelsTheSettingsMake) {
  SKIP_WITHOUT_MEDIA();
  CacheFixture f;
  for (const auto& tensor : {torch::zeros({1, 3, 8, 8}, torch::kFloat32), torch::zeros({1, 3, 9, 8}, torch::kUInt8),
                             torch::zeros({3, 8, 8}, torch::kUInt8), torch::zeros({0, 3, 8, 8}, torch::kUInt8)}) {
    safetensors::write_file(f.cache + "/media-00000.safetensors", {{"m0", tensor}});
    expect_error([&] { datasets::MediaCache::open(f.cache, f.settings); }, {"index.json", "a.png", "expected U8 [frames, 3, 8, 8]"});
  }
}

// The patch layout's entries (issue 18): tensors whose sides are not multiples of patch x merge
// (28), and a frame rate after the tensor name that is not a positive finite number, or that the
// frames layout (which has none) finds in its index.
TEST(HostileMediaCache, PatchLayoutSizesAndFrameRatesAreChecked) {
  SKIP_WITHOUT_MEDIA();
  CacheFixture f(true);
  EXPECT_EQ(datasets::MediaCache::open(f.cache, f.settings).size(), 1u);
  for (const auto& tensor : {torch::zeros({1, 3, 42, 56}, torch::kUInt8), torch::zeros({1, 3, 56, 30}, torch::kUInt8),
                             torch::zeros({1, 3, 0, 56}, torch::kUInt8)}) {
    safetensors::write_file(f.cache + "/media-00000.safetensors", {{"m0", tensor}});
    expect_error([&] { datasets::MediaCache::open(f.cache, f.settings); },
                 {"index.json", "a.png", "media-00000.safetensors", "H and W multiples of 28"});
  }
  CacheFixture g(true);
  g.set_entry_with("2.5");
  EXPECT_EQ(datasets::MediaCache::open(g.cache, g.settings).find(g.dir.file("a.png"))->frames_per_second, 2.5);
  for (const char* fps : {"-2", "0", "-0.0", "\"fast\"", "null", "[2]"}) {
    g.set_entry_with(fps);
    expect_error([&] { datasets::MediaCache::open(g.cache, g.settings); },
                 {"index.json", "a.png", "expected a positive frame rate after the tensor name"});
  }
  // JSON has no infinity or NaN: a rate too large for a double is refused by the JSON reader.
  g.set_entry_with("1e400");
  expect_error([&] { datasets::MediaCache::open(g.cache, g.settings); }, {"index.json", "number overflow"});
  CacheFixture frames_layout;
  frames_layout.set_entry_with("2");
  expect_error([&] { datasets::MediaCache::open(frames_layout.cache, frames_layout.settings); },
               {"index.json", "a.png", "expected [shard file, tensor name], found"});
}

}  // namespace
}  // namespace vltune
