// training/metrics: each metric on hand-worked examples.
#include <cmath>
#include <map>

#include "core/metric_kinds.h"
#include "test_support.h"
#include "training/metrics.h"

namespace vltune::training {
namespace {

TEST(Metrics, TokensAndAnswerNormalisation) {
  EXPECT_EQ(caption_tokens("A man, riding a horse!"), (std::vector<std::string>{"a", "man", "riding", "a", "horse"}));
  EXPECT_EQ(normalize_answer("The Two dogs."), "2 dogs");
  EXPECT_EQ(exact_match("two", {"2"}), 1.0);
  EXPECT_EQ(exact_match("an ankle boot", {"sneaker", "Ankle boot"}), 1.0);
  EXPECT_EQ(exact_match("cat", {"dog"}), 0.0);
}

TEST(Metrics, VqaAccuracyIsMatchesOverThreeCappedAtOne) {
  EXPECT_NEAR(vqa_accuracy("yes", {"yes", "yes", "no"}), 2.0 / 3.0, 1e-12);
  EXPECT_EQ(vqa_accuracy("Yes", {"yes", "yes", "yes", "yes"}), 1.0);
  EXPECT_EQ(vqa_accuracy("maybe", {"yes", "no"}), 0.0);
}

TEST(Metrics, Bleu4ByHand) {
  // 1-grams 5/6 ("the" clipped to one), 2-grams 3/5, 3-grams 2/4, 4-grams 1/3, equal lengths.
  EXPECT_NEAR(bleu4({"the cat sat on the mat"}, {{"the cat sat on a mat"}}), std::pow(5.0 / 6 * 3.0 / 5 * 2.0 / 4 * 1.0 / 3, 0.25), 1e-12);
  // Every n-gram matches; the brevity penalty is exp(1 - 6/4).
  EXPECT_NEAR(bleu4({"the cat sat on"}, {{"the cat sat on the mat"}}), std::exp(1.0 - 6.0 / 4.0), 1e-12);
  // The closest reference length decides the penalty: 4 here, so none.
  EXPECT_NEAR(bleu4({"the cat sat on"}, {{"the cat sat on the mat", "the cat sat on"}}), 1.0, 1e-12);
  EXPECT_EQ(bleu4({"a dog"}, {{"the cat sat on the mat"}}), 0.0);
  test::expect_error([] { bleu4({"a"}, {}); }, {"1 predictions but 0 reference sets"});
}

TEST(Metrics, RougeLByHand) {
  // LCS "the cat on the mat" = 5 of 6 words both ways, so F = 5/6 for any beta.
  EXPECT_NEAR(rouge_l({"the cat sat on the mat"}, {{"the cat is on the mat"}}), 5.0 / 6.0, 1e-12);
  // P = 3/3, R = 3/6: F = (1 + 1.44) * 1 * 0.5 / (0.5 + 1.44).
  EXPECT_NEAR(rouge_l({"the cat sat"}, {{"the cat sat on the mat"}}), 2.44 * 0.5 / (0.5 + 1.44), 1e-12);
  EXPECT_EQ(rouge_l({"dog"}, {{"the cat"}}), 0.0);
}

TEST(Metrics, CiderDByHand) {
  // Two images with disjoint words: every n-gram has idf log 2, prediction and reference vectors
  // are equal, the cosine is 1 for n = 1..4, no length penalty: 10 per image.
  const std::vector<std::vector<std::string>> refs = {{"a red circle moves left"}, {"two blue squares bounce up"}};
  EXPECT_NEAR(cider_d({"a red circle moves left", "two blue squares bounce up"}, refs), 10.0, 1e-9);
  // A prediction sharing nothing with its references scores 0.
  EXPECT_NEAR(cider_d({"a red circle moves left", "green"}, refs), 5.0, 1e-9);
  // With a single image every n-gram is in every document: idf 0, so CIDEr-D is 0 (as coco-caption).
  EXPECT_EQ(cider_d({"a red circle"}, {{"a red circle"}}), 0.0);
}

// core/metric_kinds.h's table agrees with what this file's metrics compute: only the losses are
// lower-is-better, and each metric with per-item scores keeps them in its range (an exact answer
// near the top). The names are every metric eval.metrics accepts, and train_loss.
TEST(Metrics, TheMetricKindsTableMatchesTheScorers) {
  const std::vector<std::string> predictions = {"a red shirt", "boot", "", "the bag is here", "two"};
  const std::vector<std::vector<std::string>> references = {{"a red shirt"}, {"sandal", "boot"}, {"coat"}, {"a bag here", "bag"}, {"2"}};
  const std::map<std::string, double> item_score_max = {{"exact_match", 1}, {"vqa_accuracy", 1}, {"rouge_l", 1}, {"cider_d", 10}};
  for (const char* metric : {"loss", "perplexity", "train_loss", "exact_match", "vqa_accuracy", "bleu4", "rouge_l", "cider_d"}) {
    EXPECT_EQ(has_item_scores(metric), item_score_max.count(metric) == 1) << metric;
    EXPECT_EQ(lower_is_better(metric), std::string(metric).find("loss") != std::string::npos || std::string(metric) == "perplexity") << metric;
    if (!has_item_scores(metric)) continue;
    double top = 0;
    for (const double score : item_scores(metric, predictions, references)) {
      EXPECT_GE(score, 0) << metric;
      EXPECT_LE(score, item_score_max.at(metric)) << metric;
      top = std::max(top, score);
    }
    EXPECT_GT(top, item_score_max.at(metric) / 10) << metric << ": an exact answer scores near the top of the range";
  }
  EXPECT_FALSE(lower_is_better("an_unknown_score"));
}

}  // namespace
}  // namespace vltune::training
