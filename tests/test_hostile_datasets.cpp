// Hostile dataset files (issue 12): wrongly typed fields in every format are bad samples naming
// the record and the key path, never a crash; media that leave the dataset's root (../, an
// absolute path, a symlink) are bad samples unless allow_media_from widens the root; a loader
// whose every sample is skipped ends instead of looping; a bad sample is reported once.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/yaml_util.h"
#include "datasets/dataset_yaml.h"
#include "datasets/loader.h"
#include "datasets/registry.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace vltune::datasets {
namespace {

using test::expect_error;
using test::TempDir;

std::vector<Sample> read(const std::string& format, const std::string& path, BadSamples& bad, DatasetSpec spec = {}) {
  spec.format = format;
  spec.path = path;
  return read_dataset(spec, bad);
}

// Every message of `bad`, one per line, for assertions.
std::string reported(const BadSamples& bad) {
  std::string text;
  for (const auto& m : bad.messages()) text += m + "\n";
  return text;
}

void expect_reported(const BadSamples& bad, std::initializer_list<std::string> fragments) {
  const auto text = reported(bad);
  for (const auto& fragment : fragments) EXPECT_THAT(text, HasSubstr(fragment)) << "lacks '" << fragment << "':\n" << text;
}

constexpr const char* kGoodTurns = R"([{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}])";

TEST(HostileDatasets, LlavaWronglyTypedFieldsAreBadSamplesNamingTheKey) {
  TempDir dir;
  write_file_atomically(dir.file("d.json"), std::string("[") +
      R"({"id": "turn-is-a-string", "conversations": ["hi", {"from": "gpt", "value": "a"}]},
         {"id": "numeric-role", "conversations": [{"from": 5, "value": "a"}]},
         {"id": "numeric-value", "conversations": [{"from": "gpt", "value": 7}]},
         {"id": "conversations-a-number", "conversations": 3},
         {"id": "image-a-number", "image": 3, "conversations": )" + kGoodTurns + R"(},
         {"id": "image-list-of-numbers", "image": [3], "conversations": )" + kGoodTurns + R"(},
         {"id": ["a list"], "conversations": )" + kGoodTurns + R"(},
         "a record that is a string",
         {"id": 42, "conversations": )" + kGoodTurns + "}]");
  BadSamples bad(OnBadSample::kSkip);
  const auto samples = read("llava", dir.file("d.json"), bad);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].id, "42");
  EXPECT_EQ(bad.count(), 8);
  expect_reported(bad, {"d.json[0]: key 'conversations[0]': expected an object, found \"hi\"",
                        "d.json[1]: key 'conversations[0].from': expected a string, found 5",
                        "d.json[2]: key 'conversations[0].value': expected a string, found 7",
                        "d.json[3]: key 'conversations': expected a list, found 3",
                        "d.json[4]: key 'image': expected a string, found 3",
                        "d.json[5]: key 'image[0]': expected a string, found 3",
                        "d.json[6]: key 'id': expected a string or a number",
                        "d.json[7]: expected an object"});
}

TEST(HostileDatasets, OnBadSampleErrorStopsWithAVltuneError) {
  TempDir dir;
  write_file_atomically(dir.file("d.json"), R"([{"conversations": [{"from": 5, "value": "a"}]}])");
  BadSamples bad(OnBadSample::kError);
  expect_error([&] { read("llava", dir.file("d.json"), bad); },
               {"d.json[0]: key 'conversations[0].from': expected a string, found 5", "on_bad_sample: error"});
}

TEST(HostileDatasets, JsonlVqaAlpacaAndCocoWronglyTypedFields) {
  TempDir dir;
  write_file_atomically(dir.file("d.jsonl"), R"({"messages": [{"role": 1, "content": "q"}]}
{"messages": 5}
{"messages": ["user"]}
{"question": 5, "answer": "a"}
{"question": "q", "answer": ["a"]}
{"question": "q", "answer": "fine"}
)");
  BadSamples bad(OnBadSample::kSkip);
  EXPECT_EQ(read("jsonl", dir.file("d.jsonl"), bad).size(), 1u);
  expect_reported(bad, {"d.jsonl:1: key 'messages[0].role': expected a string, found 1", "d.jsonl:2: key 'messages': expected a list",
                        "d.jsonl:3: key 'messages[0]': expected an object", "d.jsonl:4: key 'question': expected a string",
                        "d.jsonl:5: key 'answer': expected a string"});

  write_file_atomically(dir.file("v.json"), R"([{"question": "q", "answers": 5}, {"question": "q", "answers": [5]},
    {"question": "q", "answers": [{"answer": 5}]}, {"question": "q", "answers": ["yes", {"answer": "yes"}]}])");
  BadSamples vqa_bad(OnBadSample::kSkip);
  EXPECT_EQ(read("vqa", dir.file("v.json"), vqa_bad).size(), 1u);
  expect_reported(vqa_bad, {"v.json[0]: key 'answers': expected a list, found 5", "v.json[1]: key 'answers[0]': expected an object",
                            "v.json[2]: key 'answers[0].answer': expected a string"});

  write_file_atomically(dir.file("a.json"), R"([{"instruction": "i", "output": 5}, {"instruction": "i", "output": "o", "answer": 1}])");
  BadSamples alpaca_bad(OnBadSample::kSkip);
  EXPECT_TRUE(read("alpaca", dir.file("a.json"), alpaca_bad).empty());
  expect_reported(alpaca_bad, {"a.json[0]: key 'output': expected a string, found 5", "a.json[1]: key 'answer': expected a string"});

  fs::create_directories(dir.file("img"));
  std::ofstream(dir.file("img/1.png")) << "not decoded by the readers";
  write_file_atomically(dir.file("c.json"), R"({"images": [{"id": "1", "file_name": "img/1.png"}, {"id": 2, "file_name": "img/1.png"}],
    "annotations": [{"image_id": "1", "caption": "c"}, {"image_id": 2, "caption": 3}, {"image_id": 2, "caption": "fine"}]})");
  BadSamples coco_bad(OnBadSample::kSkip);
  EXPECT_EQ(read("coco", dir.file("c.json"), coco_bad).size(), 1u);
  expect_reported(coco_bad, {"c.json: images[0]: key 'id': expected an integer, found \"1\"",
                             "c.json: annotations[0]: key 'image_id': expected an integer, found \"1\"",
                             "c.json: annotations[1]: key 'caption': expected a string, found 3"});
  write_file_atomically(dir.file("c2.json"), R"({"images": 5, "annotations": []})");
  expect_error([&] { read("coco", dir.file("c2.json"), coco_bad); }, {"c2.json", "key 'images': expected a list, found 5"});
}

TEST(HostileDatasets, ARegisteredReaderThatReadsTypesUncheckedFailsNamingTheFile) {
  register_format("hostile_unchecked", "reads a field without checking its type", [](const DatasetSpec& spec, BadSamples&) {
    nlohmann::json::parse(R"({"n": "x"})").at("n").get<int64_t>();
    return std::vector<Sample>{};
  });
  TempDir dir;
  write_file_atomically(dir.file("x.json"), "{}");
  BadSamples bad(OnBadSample::kSkip);
  expect_error([&] { read("hostile_unchecked", dir.file("x.json"), bad); }, {"[dataset]", "x.json", "type must be number"});
}

// The dataset's root holds d.json and in.png; outside/ holds out.png; link.png points there.
class Confinement : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir.file("root/sub"));
    fs::create_directories(dir.file("outside"));
    std::ofstream(dir.file("root/in.png")) << "x";
    std::ofstream(dir.file("outside/out.png")) << "x";
    fs::create_symlink(dir.file("outside/out.png"), dir.file("root/link.png"));
    fs::create_symlink(dir.file("root/in.png"), dir.file("root/sub/inner_link.png"));
  }
  std::vector<Sample> read_images(std::initializer_list<std::string> images, BadSamples& bad, DatasetSpec spec = {}) {
    std::string json = "[";
    for (const auto& image : images)
      json += std::string(json.size() > 1 ? "," : "") + R"({"image": ")" + image + R"(", "conversations": )" + kGoodTurns + "}";
    write_file_atomically(dir.file("root/d.json"), json + "]");
    return read("llava", dir.file("root/d.json"), bad, spec);
  }
  TempDir dir;
};

TEST_F(Confinement, MediaLeavingTheRootAreBadSamples) {
  BadSamples bad(OnBadSample::kSkip);
  const auto samples = read_images({"in.png", "sub/inner_link.png", "../outside/out.png", dir.file("outside/out.png"), "link.png",
                                    dir.file("root/in.png"), "sub/../in.png"},
                                   bad);
  EXPECT_EQ(samples.size(), 4u) << reported(bad);
  EXPECT_EQ(bad.count(), 3);
  expect_reported(bad, {"d.json[2]: media file", "d.json[3]: media file", "d.json[4]: media file",
                        "outside the dataset's root " + fs::canonical(dir.file("root")).string()});
}

TEST_F(Confinement, MediaRootAndAllowMediaFromSetTheFolders) {
  BadSamples bad(OnBadSample::kSkip);
  DatasetSpec spec;
  spec.allow_media_from = {dir.file("outside")};
  EXPECT_EQ(read_images({"../outside/out.png", "link.png", "in.png"}, bad, spec).size(), 3u) << reported(bad);
  spec = {};
  spec.media_root = dir.file("outside");  // then the annotation file's folder is no longer a root
  EXPECT_EQ(read_images({"out.png", "../root/in.png"}, bad, spec).size(), 1u);
  expect_reported(bad, {"d.json[1]: media file"});

  // From YAML: allow_media_from is a path or a list, relative to the YAML file.
  write_file_atomically(dir.file("r.yaml"), "train: {format: llava, path: root/d.json, allow_media_from: [outside]}\n");
  const auto parsed = parse_dataset_spec(load_yaml_file(dir.file("r.yaml"))["train"], dir.file("r.yaml"));
  ASSERT_EQ(parsed.allow_media_from.size(), 1u);
  EXPECT_EQ(fs::weakly_canonical(parsed.allow_media_from[0]), fs::weakly_canonical(dir.file("outside")));
}

TEST(HostileDatasets, ABadSampleMetAgainIsReportedOnce) {
  BadSamples bad(OnBadSample::kSkip);
  for (int epoch = 0; epoch < 3; ++epoch) bad.report("d.json[0]", "too long");
  bad.report("d.json[1]", "too long");
  EXPECT_EQ(bad.count(), 2);
  EXPECT_EQ(bad.messages().size(), 2u);
}

TEST(HostileDatasets, ALoaderWhoseEverySampleIsSkippedEnds) {
  LoaderOptions options;
  options.workers = 2;
  DataLoader<int> loader(5, [](int64_t) { return std::optional<int>(); }, options);
  try {
    loader.next();
    ADD_FAILURE() << "expected NoUsableSample";
  } catch (const NoUsableSample& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("all 5 samples were skipped")) << e.what();
  }
  // One usable sample among skipped ones is still served, epoch after epoch.
  DataLoader<int> sparse(5, [](int64_t i) { return i == 3 ? std::optional<int>(3) : std::nullopt; }, options);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(sparse.next(), 3);
}

TEST(HostileDatasets, ALoaderRefusesAStartOutsideTheDataset) {
  const auto prepare = [](int64_t i) { return std::optional<int>(static_cast<int>(i)); };
  for (const LoaderPosition start : {LoaderPosition{0, 5}, LoaderPosition{0, -1}, LoaderPosition{-1, 0}})
    expect_error([&] { DataLoader<int>(5, prepare, LoaderOptions{}, start); }, {"[loader] cannot start at epoch"});
  // An empty dataset is vltune's Error (a message), not a std::invalid_argument.
  expect_error([&] { DataLoader<int>(0, prepare, LoaderOptions{}); }, {"[loader] the dataset is empty"});
}

}  // namespace
}  // namespace vltune::datasets
