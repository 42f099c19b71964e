// The text-only prior of a question-answering dataset: how well one scores by answering each test
// question with the answer its question text most often has in the training split, without
// looking at the image or video. A task whose methods score near it measures nothing visual.
//
//   question text  the sample's user turns before its last answer, joined by newlines, with the
//                  <image> and <video> placeholders removed and the ends trimmed
//   training answer  the last assistant turn, normalised as exact match normalises
//                  (training/metrics.h); ties go to the answer first in byte order
//   unseen texts   a test question absent from training gets the most common training answer of all
//   score          the mean exact match (metrics.h) of those answers against the test references
// Plain (no LibTorch): it reads only text.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/sample.h"

namespace vltune::training {

struct PriorQuestion {
  std::string text;    // the question text, as keyed above
  std::string answer;  // its most common training answer (normalised)
  int64_t train = 0;   // training samples with this text
  int64_t test = 0;    // test samples with it
  double correct = 0;  // of those, answered right by `answer`
};

struct AnswerPrior {
  double score = 0;        // correct / test items
  double correct = 0;
  int64_t test_items = 0;
  int64_t unseen = 0;           // test items whose question text training lacks
  std::string overall_answer;   // the answer they get
  std::vector<PriorQuestion> questions;  // each test question text, in order of first appearance
};

std::string prior_question_text(const datasets::Sample& sample);

// Throws if `train` or `test` is empty.
AnswerPrior text_only_prior(const std::vector<datasets::Sample>& train, const std::vector<datasets::Sample>& test);

// The report `vltune data prior` prints: the score, the counts, then one line per question text
// (the `limit` most frequent in the test split; 0 = all).
std::string describe_prior(const AnswerPrior& prior, std::size_t limit);

}  // namespace vltune::training
