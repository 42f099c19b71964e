// The text-only prior (training/answer_prior.h) on a dataset small enough to count by hand, and on
// the built-in QA tasks as they are generated: each must leave headroom (prior <= 0.25), and the
// synthetic clips for pretraining and for fine-tuning come from disjoint seeds.
#include <map>
#include <nlohmann/json.hpp>

#include "datasets/builtin/fashion_mnist.h"
#include "datasets/builtin/synthetic_video.h"
#include "datasets/registry.h"
#include "test_support.h"
#include "training/answer_prior.h"

using namespace vltune;
using namespace vltune::datasets;
using test::expect_error;
using test::TempDir;

namespace {

void write_llava(const std::string& path, const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& [question, answer] : pairs)
    doc.push_back({{"conversations", {{{"from", "human"}, {"value", question}}, {{"from", "gpt"}, {"value", answer}}}}});
  std::ofstream(path) << doc.dump(1);
}

std::vector<Sample> read_llava_file(const std::string& path) {
  BadSamples bad(OnBadSample::kError);
  return read_dataset({"llava", path}, bad);
}

training::AnswerPrior prior_of(const std::string& train, const std::string& test) {
  return training::text_only_prior(read_llava_file(train), read_llava_file(test));
}

}  // namespace

// Training: "What colour?" red, red ("The red." normalises to red), blue -> red; "How many?" two,
// three (normalised 2, 3) -> a tie, to the first in byte order, 2; "Where?" left. Overall most common: red (3).
// Test: "What colour?" red, blue, red, green -> 2 right; "How many?" three, two -> 1; "Which
// one?" (unseen) red -> red, 1 right. 4 of 7.
TEST(AnswerPrior, CountsTheMostCommonTrainingAnswerPerQuestionText) {
  TempDir dir;
  write_llava(dir.file("train.json"), {{"What colour?", "red"}, {"What colour?", "The red."}, {"What colour?", "blue"},
                                       {"How many?", "two"}, {"How many?", "three"}, {"Where?", "left"}, {"Where?", "red"}});
  write_llava(dir.file("test.json"), {{"What colour?", "red"}, {"What colour?", "blue"}, {"What colour?", "Red"},
                                      {"What colour?", "green"}, {"How many?", "three"}, {"How many?", "two"}, {"Which one?", "red"}});
  const auto prior = prior_of(dir.file("train.json"), dir.file("test.json"));
  EXPECT_DOUBLE_EQ(prior.score, 4.0 / 7.0);
  EXPECT_EQ(prior.test_items, 7);
  EXPECT_EQ(prior.unseen, 1);
  EXPECT_EQ(prior.overall_answer, "red");
  ASSERT_EQ(prior.questions.size(), 3u);
  EXPECT_EQ(prior.questions[0].text, "What colour?");
  EXPECT_EQ(prior.questions[0].answer, "red");
  EXPECT_EQ(prior.questions[0].train, 3);
  EXPECT_DOUBLE_EQ(prior.questions[0].correct, 2);
  EXPECT_EQ(prior.questions[1].answer, "2");
  EXPECT_DOUBLE_EQ(prior.questions[1].correct, 1);
  EXPECT_EQ(prior.questions[2].train, 0);
  EXPECT_THAT(training::describe_prior(prior, 0), HasSubstr("text-only prior 0.5714 (4 of 7 test items; 3 question texts; 1 test"));
  expect_error([&] { training::text_only_prior({}, read_llava_file(dir.file("test.json"))); }, {"[prior]", "got 0 and 7"});
}

// `vltune data prior` prints the same count, and as JSON; a damaged file is named.
TEST(AnswerPrior, TheCommandReportsItAndNamesABadFile) {
  TempDir dir;
  write_llava(dir.file("train.json"), {{"Where?", "left"}, {"Where?", "left"}, {"Where?", "up"}});
  write_llava(dir.file("test.json"), {{"Where?", "left"}, {"Where?", "up"}, {"Where?", "down"}, {"Where?", "right"}});
  auto result = test::run_vltune("data prior --train " + dir.file("train.json") + " --test " + dir.file("test.json"));
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("text-only prior 0.2500 (1 of 4 test items; 1 question texts; 0 test"));
  result = test::run_vltune("data prior --json --train " + dir.file("train.json") + " --test " + dir.file("test.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_DOUBLE_EQ(json["prior"].get<double>(), 0.25);
  EXPECT_EQ(json["questions"][0]["answer"], "left");
  std::ofstream(dir.file("bad.json")) << "[{\"conversations\": [{\"from\": \"human\", \"value\": \"Where?\"}]}]";
  result = test::run_vltune("data prior --train " + dir.file("bad.json") + " --test " + dir.file("test.json"));
  EXPECT_NE(result.status, 0);
  EXPECT_THAT(result.output, HasSubstr("bad.json[0]"));
}

// Video QA as generated: balanced answers (each type's answers in turn), a prior at most 0.25, and
// the answer to "moving at the end" true to the last two frames.
TEST(AnswerPrior, VideoQaLeavesHeadroom) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  SyntheticVideoOptions options{dir.file("v"), 120, 5};
  options.frames = 8;
  build_synthetic_video(options);
  const auto train = read_llava_file(dir.file("v/qa_train.json")), test = read_llava_file(dir.file("v/qa_test.json"));
  const auto prior = training::text_only_prior(train, test);
  EXPECT_LE(prior.score, 0.25) << training::describe_prior(prior, 0);
  std::map<std::string, int> counts;  // answers of "How many shapes appear in the video?", train and test
  int checked = 0;
  for (const auto* split : {&train, &test})
    for (const auto& sample : *split) {
      const auto question = training::prior_question_text(sample);
      if (question == "How many shapes appear in the video?") ++counts[sample.references[0]];
      if (!test::contains(question, "moving at the end")) continue;
      const auto video = media::decode_video(sample.video, {8});
      auto centroid = [&](const media::Image& f) {  // of the subject's colour, named in the question
        const bool red = test::contains(question, "red"), green = test::contains(question, "green"), blue = test::contains(question, "blue");
        double x = 0, y = 0, n = 0;
        for (int row = 0; row < f.height; ++row)
          for (int col = 0; col < f.width; ++col) {
            const auto* p = &f.rgb[(static_cast<std::size_t>(row) * f.width + col) * 3];
            const bool hit = red ? p[0] > 150 && p[1] < 100 : green ? p[1] > 150 && p[0] < 100 : blue ? p[2] > 150 && p[0] < 100
                                                                                                     : p[0] > 150 && p[1] > 150;
            if (hit) x += col, y += row, n += 1;
          }
        return std::make_pair(x / n, y / n);
      };
      const auto [x0, y0] = centroid(video.frames[6]);
      const auto [x1, y1] = centroid(video.frames[7]);
      const auto& answer = sample.references[0];
      const double along = answer == "left" ? x0 - x1 : answer == "right" ? x1 - x0 : answer == "up" ? y0 - y1 : y1 - y0;
      EXPECT_GT(along, 1.5) << sample.video << ": " << question << " " << answer;
      ++checked;
    }
  EXPECT_EQ(checked, 30);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"four", 7}, {"one", 8}, {"three", 7}, {"two", 8}}));
}

// Pretraining and downstream clips come from disjoint seed ranges (the top bit), whatever the seed.
TEST(AnswerPrior, PretrainingAndDownstreamClipsDrawFromDisjointSeeds) {
  EXPECT_EQ(synthetic_clip_seed(ClipRange::kPretrain, 0, 7), 7u);
  EXPECT_EQ(synthetic_clip_seed(ClipRange::kDownstream, 0, 7), (uint64_t{1} << 63) + 7);
  EXPECT_EQ(synthetic_clip_seed(ClipRange::kPretrain, 3, 7), (uint64_t{3} << 32) + 7);
  expect_error([] { synthetic_clip_seed(ClipRange::kPretrain, uint64_t{1} << 31, 0); }, {"below 2^31"});
  expect_error([] { synthetic_clip_seed(ClipRange::kPretrain, 0, int64_t{1} << 32); }, {"2^32 clips"});
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  SyntheticVideoOptions pretrain{dir.file("p"), 5, 0}, downstream{dir.file("d"), 5, 0};
  pretrain.range = ClipRange::kPretrain;
  pretrain.frames = downstream.frames = 8;
  build_synthetic_video(pretrain);
  build_synthetic_video(downstream);
  EXPECT_NE(test::read_text_file(dir.file("p/videos/clip_00000.mp4")), test::read_text_file(dir.file("d/videos/clip_00000.mp4")));
  EXPECT_NE(test::read_text_file(dir.file("p/caption_train.json")), test::read_text_file(dir.file("d/caption_train.json")));
}

// Image VQA on Fashion-MNIST as generated: two questions with balanced answers, prior <= 0.25.
TEST(AnswerPrior, FashionMnistVqaLeavesHeadroom) {
  SKIP_WITHOUT_MEDIA();
  if (!std::filesystem::exists(std::string(kFashionMnistSource) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (make deps installs it)";
  TempDir dir;
  build_fashion_mnist({kFashionMnistSource, dir.path().string(), 400, 1});
  const auto train = read_llava_file(dir.file("vqa_train.json")), test = read_llava_file(dir.file("vqa_test.json"));
  const auto prior = training::text_only_prior(train, test);
  EXPECT_LE(prior.score, 0.25) << training::describe_prior(prior, 0);
  ASSERT_EQ(prior.questions.size(), 2u);
  std::map<std::string, int> categories;
  for (const auto& sample : test)
    if (training::prior_question_text(sample) == "Which category does this item belong to?") ++categories[sample.references[0]];
  ASSERT_EQ(categories.size(), 5u);
  for (const auto& [category, count] : categories) {  // each about 400 / 20
    EXPECT_GE(count, 14) << category;
    EXPECT_LE(count, 26) << category;
  }
}
