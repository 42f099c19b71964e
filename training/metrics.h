// Evaluation metrics on generated text, as the captioning and VQA literature computes them.
//
//   exact match   normalised prediction equals a normalised reference (lower case, no punctuation,
//                 no articles, single spaces)
//   VQA accuracy  min(#references equal to the prediction / 3, 1), after the same normalisation
//                 plus number words as digits
//   BLEU-4        corpus BLEU (Papineni et al.): clipped 1-4-gram precisions, geometric mean,
//                 brevity penalty against the closest reference length
//   ROUGE-L       per sentence F-measure of the longest common subsequence (beta = 1.2; precision
//                 and recall each the best over the references), averaged
//   CIDEr-D       the coco-caption definition: tf-idf n-gram vectors (n = 1..4, idf from the
//                 references of the evaluated set), clipped similarity, Gaussian length penalty
//                 (sigma 6), averaged over n and references, times 10
// Captions are tokenised by lower-casing and splitting on anything but letters, digits and
// apostrophes.
#pragma once
#include <string>
#include <vector>

namespace vltune::training {

std::vector<std::string> caption_tokens(const std::string& text);
std::string normalize_answer(const std::string& text);  // for exact match and VQA accuracy

double exact_match(const std::string& prediction, const std::vector<std::string>& references);
double vqa_accuracy(const std::string& prediction, const std::vector<std::string>& references);

// Corpus-level scores: predictions[i] is scored against references[i].
double bleu4(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references);
double rouge_l(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references);
double cider_d(const std::vector<std::string>& predictions, const std::vector<std::vector<std::string>>& references);

// Per-item scores of the metrics that are a mean over items (exact_match, vqa_accuracy, rouge_l,
// cider_d): the metric is exactly the mean of these. BLEU-4 is a corpus score and has none.
// item_scores throws ([metrics]) for any other name.
bool has_item_scores(const std::string& metric);
std::vector<double> item_scores(const std::string& metric, const std::vector<std::string>& predictions,
                                const std::vector<std::vector<std::string>>& references);

}  // namespace vltune::training
