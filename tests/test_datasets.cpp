// datasets/: every built-in format on files written here, the bad-sample policy (file:line,
// unknown fields, empty answers, missing media), the registry, and Fashion-MNIST from Debian.
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/yaml_util.h"
#include "datasets/builtin/fashion_mnist.h"
#include "datasets/builtin/synthetic_video.h"
#include "datasets/dataset_yaml.h"
#include "datasets/prepare.h"
#include "language/tokenizer.h"
#include "datasets/registry.h"
#include "test_support.h"
#include "vision/media/media.h"

namespace vltune::datasets {
namespace {

using language::Role;
using test::expect_error;
using test::TempDir;
namespace fs = std::filesystem;

void touch(const std::string& path) { std::ofstream(path) << "not decoded by the readers"; }

std::vector<Sample> read(const std::string& format, const std::string& path, BadSamples& bad,
                         std::map<std::string, std::string> fields = {}) {
  DatasetSpec spec;
  spec.format = format;
  spec.path = path;
  spec.fields = std::move(fields);
  return read_dataset(spec, bad);
}

TEST(Formats, LlavaConversations) {
  TempDir dir;
  touch(dir.file("a.png"));
  write_file_atomically(dir.file("d.json"), R"([
    {"id": "s1", "image": "a.png", "conversations": [{"from": "human", "value": "What is it?"}, {"from": "gpt", "value": "A bag."},
                                                      {"from": "human", "value": "Colour?"}, {"from": "gpt", "value": "Red."}]},
    {"id": "s2", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": ""}]},
    {"id": "s3", "image": "missing.png", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
    {"id": "s4", "imgae": "a.png", "conversations": []}
  ])");
  BadSamples bad(OnBadSample::kSkip);
  const auto samples = read("llava", dir.file("d.json"), bad);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].id, "s1");
  EXPECT_EQ(samples[0].images, std::vector<std::string>{dir.file("a.png")});
  ASSERT_EQ(samples[0].turns.size(), 4u);
  EXPECT_EQ(samples[0].turns[0].text, "<image>\nWhat is it?");
  EXPECT_EQ(samples[0].turns[2].text, "Colour?");
  EXPECT_EQ(samples[0].references, (std::vector<std::string>{"A bag.", "Red."}));
  ASSERT_EQ(bad.count(), 3);
  EXPECT_THAT(bad.messages()[0], HasSubstr("d.json[1]: empty answer"));
  EXPECT_THAT(bad.messages()[1], HasSubstr("missing.png does not exist"));
  EXPECT_THAT(bad.messages()[2], HasSubstr("unknown field 'imgae'"));
}

// Issue 14, item 7: a wrong media_root misses every sample's file; that is one warning with the
// count and a few of the paths, not one per sample (each is still counted and kept as a reason).
TEST(Formats, MissingMediaIsSummedUpInOneLine) {
  TempDir dir;
  std::string records;
  for (int i = 0; i < 40; ++i)
    records += std::string(i ? "," : "") + R"({"image": "img-)" + std::to_string(i) +
               R"(.png", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]})";
  write_file_atomically(dir.file("d.json"), "[" + records + "]");
  std::filesystem::create_directories(dir.file("wrong-root"));
  DatasetSpec spec;
  spec.format = "llava";
  spec.path = dir.file("d.json");
  spec.media_root = dir.file("wrong-root");
  BadSamples bad(OnBadSample::kSkip);
  testing::internal::CaptureStderr();
  const auto samples = read_dataset(spec, bad);
  const auto printed = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(samples.empty());
  EXPECT_EQ(bad.count(), 40);
  EXPECT_EQ(test::count_occurrences(printed, "\n"), 1u) << printed;
  EXPECT_THAT(printed, HasSubstr("skipping 40 samples of " + dir.file("d.json") +
                                 ": their media file does not exist under " + dir.file("wrong-root")));
  EXPECT_THAT(printed,
              HasSubstr("img-0.png, " + dir.file("wrong-root") + "/img-1.png, " + dir.file("wrong-root") + "/img-2.png, ..."));
  EXPECT_THAT(bad.messages().back(), HasSubstr("img-39.png does not exist"));
  BadSamples strict(OnBadSample::kError);  // on_bad_sample: error still stops at the first
  expect_error([&] { read_dataset(spec, strict); }, {"d.json[0]: media file", "img-0.png does not exist"});
}

TEST(Formats, JsonlWithFieldMappingAndMessages) {
  TempDir dir;
  touch(dir.file("v.mp4"));
  write_file_atomically(dir.file("d.jsonl"),
                        "{\"clip\": \"v.mp4\", \"q\": \"Which way does it move?\", \"a\": \"left\"}\n"
                        "\n"
                        "{\"clip\": \"v.mp4\", \"q\": \"broken\", \"a\": \n"
                        "{\"clip\": \"v.mp4\", \"q\": \"Count?\", \"a\": \"two\", \"extra\": 1}\n");
  BadSamples bad(OnBadSample::kSkip);
  const auto samples = read("jsonl", dir.file("d.jsonl"), bad, {{"video", "clip"}, {"question", "q"}, {"answer", "a"}});
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].video, dir.file("v.mp4"));
  EXPECT_EQ(samples[0].turns[0].text, "<video>\nWhich way does it move?");
  ASSERT_EQ(bad.count(), 2);
  EXPECT_THAT(bad.messages()[0], HasSubstr("d.jsonl:3: malformed JSON"));
  EXPECT_THAT(bad.messages()[1], HasSubstr("d.jsonl:4: unknown field 'extra'"));

  write_file_atomically(dir.file("m.jsonl"), R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]})" "\n");
  const auto chat = read("jsonl", dir.file("m.jsonl"), bad);
  ASSERT_EQ(chat.size(), 1u);
  EXPECT_EQ(chat[0].turns[0].role, Role::kSystem);
  EXPECT_EQ(chat[0].turns[2].text, "4");

  BadSamples strict(OnBadSample::kError);
  expect_error([&] { read("jsonl", dir.file("d.jsonl"), strict, {{"video", "clip"}, {"question", "q"}, {"answer", "a"}}); },
               {"d.jsonl:3", "malformed JSON", "on_bad_sample: error"});
}

TEST(Formats, CocoAlpacaAndVqa) {
  TempDir dir;
  touch(dir.file("1.jpg"));
  write_file_atomically(dir.file("coco.json"), R"({"images": [{"id": 7, "file_name": "1.jpg"}],
    "annotations": [{"image_id": 7, "caption": "a cat"}, {"image_id": 7, "caption": "a sleeping cat"}, {"image_id": 9, "caption": "x"}]})");
  BadSamples bad(OnBadSample::kSkip);
  DatasetSpec coco;
  coco.format = "coco";
  coco.path = dir.file("coco.json");
  coco.prompt = "Describe the image.";
  const auto captions = read_dataset(coco, bad);
  ASSERT_EQ(captions.size(), 2u);
  EXPECT_EQ(captions[1].turns[0].text, "<image>\nDescribe the image.");
  EXPECT_EQ(captions[1].turns[1].text, "a sleeping cat");
  EXPECT_EQ(captions[0].references, (std::vector<std::string>{"a cat", "a sleeping cat"}));
  EXPECT_EQ(bad.count(), 1);  // image 9 is not listed

  write_file_atomically(dir.file("alpaca.json"), R"([{"instruction": "Pick one.", "input": "A or B", "output": "the answer is A", "answer": "A"},
    {"instruction": "Say hi.", "input": "", "output": "hi"}, {"instruction": "x", "input": "", "output": ""}])");
  const auto alpaca = read("alpaca", dir.file("alpaca.json"), bad);
  ASSERT_EQ(alpaca.size(), 2u);
  EXPECT_EQ(alpaca[0].turns[0].text, "Pick one.\n\nA or B");
  EXPECT_EQ(alpaca[0].references, std::vector<std::string>{"A"});
  EXPECT_EQ(alpaca[1].turns[0].text, "Say hi.");

  write_file_atomically(dir.file("vqa.json"), R"([{"image": "1.jpg", "question": "Is it asleep?", "question_id": 3,
    "answers": ["yes", "yes", {"answer": "no"}, "yes"]}])");
  const auto vqa = read("vqa", dir.file("vqa.json"), bad);
  ASSERT_EQ(vqa.size(), 1u);
  EXPECT_EQ(vqa[0].turns[1].text, "yes");
  EXPECT_EQ(vqa[0].references.size(), 4u);
}

TEST(DatasetYaml, RecipesDeclareDatasetsWithoutCpp) {
  TempDir dir;
  touch(dir.file("v.mp4"));
  write_file_atomically(dir.file("d.jsonl"), "{\"clip\": \"v.mp4\", \"q\": \"Where?\", \"a\": \"left\"}\n");
  write_file_atomically(dir.file("recipe.yaml"), "model: {path: m}\ndata:\n  train:\n"
                                                 "    format: jsonl\n    path: d.jsonl\n    fields: {video: clip, question: q, answer: a}\n");
  const auto recipe = dir.file("recipe.yaml");
  const auto spec = parse_dataset_spec(load_yaml_file(recipe)["data"]["train"], recipe);
  EXPECT_EQ(spec.path, dir.file("d.jsonl"));  // relative to the YAML file
  BadSamples bad(OnBadSample::kError);
  EXPECT_EQ(read_dataset(spec, bad)[0].turns[1].text, "left");

  write_file_atomically(dir.file("bad.yaml"), "data:\n  train: {format: jsonl, pth: d.jsonl}\n");
  expect_error([&] { parse_dataset_spec(load_yaml_file(dir.file("bad.yaml"))["data"]["train"], dir.file("bad.yaml")); },
               {"bad.yaml:2:", "unknown key 'pth'", "did you mean 'path'"});
}

TEST(Registry, NewFormatsRegisterWithOneCall) {
  TempDir dir;
  write_file_atomically(dir.file("pairs.tsv"), "What is 1+1?\t2\nWhat is 2+2?\t4\n");
  register_format("tsv_pairs", "question<TAB>answer lines", [](const DatasetSpec& spec, BadSamples&) {
    std::vector<Sample> samples;
    std::ifstream in(spec.path);
    std::string line;
    while (std::getline(in, line)) {
      const auto tab = line.find('\t');
      samples.push_back({line, {}, "", {{Role::kUser, line.substr(0, tab)}, {Role::kAssistant, line.substr(tab + 1)}}, {line.substr(tab + 1)}});
    }
    return samples;
  });
  BadSamples bad(OnBadSample::kSkip);
  EXPECT_EQ(read("tsv_pairs", dir.file("pairs.tsv"), bad).size(), 2u);
  expect_error([] { register_format("llava", "again", {}); }, {"'llava' is already registered"});
  expect_error([&] { read("parquet", dir.file("pairs.tsv"), bad); }, {"unknown format 'parquet'", "llava", "tsv_pairs"});
  expect_error([&] { read("llava", dir.file("absent.json"), bad); }, {"absent.json", "does not exist"});
}

TEST(FashionMnist, BuildsCaptionAndVqaFromDebiansFiles) {
  SKIP_WITHOUT_MEDIA();
  if (!std::filesystem::exists(std::string(kFashionMnistSource) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (make deps installs it)";
  TempDir dir;
  const auto summary = build_fashion_mnist({kFashionMnistSource, dir.path().string(), 12, 3});
  EXPECT_EQ(summary.train, 12);
  EXPECT_EQ(summary.test, 12);
  BadSamples bad(OnBadSample::kError);
  const auto captions = read("llava", dir.file("caption_test.json"), bad);
  ASSERT_EQ(captions.size(), 12u);
  // The first test image of Fashion-MNIST is an ankle boot (label 9).
  EXPECT_EQ(captions[0].references[0], "a photo of an ankle boot");
  const auto image = media::decode_image(captions[0].images[0]);
  EXPECT_EQ(image.width, 28);
  EXPECT_EQ(image.rgb[0], image.rgb[1]);  // grey
  const auto vqa = read("llava", dir.file("vqa_train.json"), bad);
  ASSERT_EQ(vqa.size(), 12u);
  int category = 0;  // the category questions name one of the five categories; the others, the item
  for (const auto& s : vqa) {
    const bool asks_category = test::contains(s.turns[0].text, "Which category");
    category += asks_category;
    EXPECT_THAT(std::string(asks_category ? "tops bottoms dresses footwear bags" : "t-shirt trousers pullover dress coat sandal shirt sneaker bag ankle boot"),
                HasSubstr(s.references[0]));
  }
  EXPECT_GT(category, 0);
  expect_error([&] { build_fashion_mnist({dir.path().string(), dir.file("out"), 1, 0}); }, {"cannot open", "dataset-fashion-mnist"});
}

// The synthetic clips: reproducible for a seed, decodable, and their captions true to the motion.
TEST(SyntheticVideo, CaptionsDescribeWhatTheClipsShow) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  const auto summary = build_synthetic_video({dir.file("a"), 12, 7});
  EXPECT_EQ(summary.train, 10);
  EXPECT_EQ(summary.test, 2);
  build_synthetic_video({dir.file("b"), 12, 7});
  std::ifstream a(dir.file("a/qa_train.json")), b(dir.file("b/qa_train.json"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), std::string(std::istreambuf_iterator<char>(b), {}));

  BadSamples bad(OnBadSample::kError);
  const auto captions = read("llava", dir.file("a/caption_train.json"), bad);
  ASSERT_EQ(captions.size(), 10u);
  int checked = 0;
  for (const auto& sample : captions) {
    const auto& caption = sample.references[0];
    if (test::contains(caption, "then")) continue;  // one shape: its centroid is the shape's
    const auto video = media::decode_video(sample.video, {16});
    ASSERT_EQ(video.frames.size(), 16u);
    auto centroid = [](const media::Image& f) {
      double x = 0, y = 0, n = 0;
      for (int row = 0; row < f.height; ++row)
        for (int col = 0; col < f.width; ++col) {
          const auto* p = &f.rgb[(static_cast<std::size_t>(row) * f.width + col) * 3];
          if (p[0] + p[1] + p[2] > 200) x += col, y += row, n += 1;
        }
      return std::make_pair(x / n, y / n);
    };
    const auto [x0, y0] = centroid(video.frames[0]);
    const auto [x1, y1] = centroid(video.frames[1]);  // one step: 3 pixels in the starting direction
    const std::string direction = caption.substr(caption.find(" moves ") + 7, caption.find(' ', caption.find(" moves ") + 7) - caption.find(" moves ") - 7);
    if (direction == "left") {
      EXPECT_LT(x1, x0 - 1.5) << caption;
    }
    if (direction == "right") {
      EXPECT_GT(x1, x0 + 1.5) << caption;
    }
    if (direction == "up") {
      EXPECT_LT(y1, y0 - 1.5) << caption;
    }
    if (direction == "down") {
      EXPECT_GT(y1, y0 + 1.5) << caption;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
  expect_error([&] { build_synthetic_video({dir.file("c"), 0}); }, {"clips > 0"});
}

// Regression (2026-12-03, found on the GPU machine): `vltune eval RUN` takes the media paths
// absolute from the run's recipe.yaml, while the cache held them as the task recipe gave them
// (relative), so every lookup missed and a host without decoders was left with no sample. Any
// form of a path that names the same file finds its entry.
TEST(Prepare, TheCacheFindsAMediaPathGivenRelativeOrAbsolute) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  media::encode_image(dir.file("shirt.png"), media::Image{40, 8, std::vector<uint8_t>(40 * 8 * 3, 9)});
  const auto absolute = fs::absolute(dir.file("shirt.png")).lexically_normal();
  const auto relative = fs::relative(absolute);  // from the working directory, as a recipe's paths
  ASSERT_TRUE(relative.is_relative());
  MediaSettings settings;
  settings.image.policy = vision::ResizePolicy::kResize;
  settings.image.height = settings.image.width = 32;
  BadSamples bad(OnBadSample::kSkip);
  build_media_cache({{relative.string(), false}}, settings, dir.file("cache"), bad);
  fs::remove(absolute);  // what the cache holds needs no source file
  const auto cache = MediaCache::open(dir.file("cache"), settings);
  for (const auto& form : {relative, absolute, absolute.parent_path() / "." / "shirt.png"}) {
    const auto found = cache.find(form.string());
    ASSERT_TRUE(found) << form;
    EXPECT_EQ(found->pixels.sizes(), (std::vector<int64_t>{1, 3, 32, 32})) << form;
  }
  EXPECT_FALSE(cache.find(dir.file("trousers.png")));
}

// Samples into tokens and pixels, live and through the prepared cache, which must agree exactly.
TEST(Prepare, LiveAndCachedPixelsAgreeAndBadMediaIsSkipped) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  build_synthetic_video({dir.file("video"), 3, 1});
  std::ofstream(dir.file("text.txt")) << "a red circle moves left and bounces\na blue square appears and moves up\nthen a green triangle moves down\na yellow circle moves right\n";
  language::train_tokenizer({dir.file("text.txt"), dir.file("tok"), 300, "bpe"});
  const auto tokenizer = language::Tokenizer::load(dir.file("tok.model"));

  BadSamples bad(OnBadSample::kSkip);
  auto clips = read("llava", dir.file("video/caption_train.json"), bad);
  ASSERT_EQ(clips.size(), 2u);
  PrepareOptions options;
  options.chat_template = "plain";
  options.encode = {999, 4, 8 * 4, 256};
  options.media.image.policy = vision::ResizePolicy::kResize;
  options.media.image.height = options.media.image.width = 32;
  options.media.frames.num_frames = 8;

  SamplePreparer live(tokenizer, options);
  const auto a = live.prepare(clips[0], bad);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->video);
  EXPECT_EQ(a->pixels.sizes(), (std::vector<int64_t>{8, 3, 32, 32}));
  EXPECT_EQ(std::count(a->input_ids.begin(), a->input_ids.end(), 999), 32);

  std::vector<MediaToCache> media = {{clips[0].video, true}, {clips[1].video, true}, {dir.file("missing.mp4"), true}};
  const auto summary = build_media_cache(media, options.media, dir.file("cache"), bad);
  EXPECT_EQ(summary.media, 2);
  EXPECT_EQ(summary.failed, 1);
  const auto cache = MediaCache::open(dir.file("cache"), options.media);
  SamplePreparer cached(tokenizer, options, &cache);
  const auto b = cached.prepare(clips[0], bad);
  ASSERT_TRUE(b);
  EXPECT_TRUE(torch::equal(a->pixels, b->pixels));
  EXPECT_EQ(a->input_ids, b->input_ids);
  EXPECT_EQ(a->labels, b->labels);

  auto other = options.media;
  other.frames.num_frames = 4;
  expect_error([&] { MediaCache::open(dir.file("cache"), other); }, {"index.json", "prepared with", "prepare it again"});

  std::ofstream(dir.file("corrupt.png")) << "\x89PNG but then nothing";
  Sample image_sample{"img", {dir.file("corrupt.png")}, "", {{Role::kUser, "<image>"}, {Role::kAssistant, "a red circle"}}, {"a red circle"}};
  EXPECT_FALSE(live.prepare(image_sample, bad));
  EXPECT_THAT(bad.messages().back(), HasSubstr("corrupt.png"));

  auto small = options;
  small.media.limits.max_width = 16;  // the fixture frames are 64 wide
  media::encode_image(dir.file("wide.png"), media::Image{40, 8, std::vector<uint8_t>(40 * 8 * 3, 9)});
  image_sample.images = {dir.file("wide.png")};
  EXPECT_FALSE(SamplePreparer(tokenizer, small).prepare(image_sample, bad));
  EXPECT_THAT(bad.messages().back(), HasSubstr("40x8 pixels, which exceed the limit of 16x8192"));

  std::ofstream(dir.file("corrupt.mp4")) << "not a video";
  Sample broken = clips[0];
  broken.video = dir.file("corrupt.mp4");
  const auto before = bad.count();
  EXPECT_FALSE(live.prepare(broken, bad));
  EXPECT_EQ(bad.count(), before + 1);
  EXPECT_THAT(bad.messages().back(), HasSubstr("corrupt.mp4"));
}

}  // namespace
}  // namespace vltune::datasets
