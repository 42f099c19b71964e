// Fashion-MNIST from Debian's dataset-fashion-mnist package (gzip'ed IDX files) as an image-text
// dataset: PNGs plus LLaVA-format JSON for captioning and VQA, keeping the official train/test split.
//
//   OUT/images/{train,test}/NNNNN.png
//   OUT/caption_{train,test}.json   "<image>" -> "a photo of an ankle boot"
//   OUT/vqa_{train,test}.json       one question per image: its category ("footwear") for every
//                                   (2 x the category's classes)-th image of a category (from a
//                                   seeded phase), otherwise the item ("ankle boot"); so both
//                                   questions' answers are balanced and answering each question
//                                   with its most common training answer scores about 0.15
//   OUT/instruct_{train,test}.json  text only, alpaca format: the item's name as input, its category
//                                   or a yes/no category question as the instruction
#pragma once
#include <cstdint>
#include <string>

namespace vltune::datasets {

inline const char* kFashionMnistSource = "/usr/share/datasets/fashion-mnist";

struct FashionMnistOptions {
  std::string source = kFashionMnistSource;
  std::string out;
  int64_t limit = 0;  // images per split; 0 = all (60000 train, 10000 test)
  uint64_t seed = 0;
};

struct FashionMnistSummary {
  int64_t train = 0, test = 0;
};

FashionMnistSummary build_fashion_mnist(const FashionMnistOptions& options);

// The class names in label order, and the category each belongs to.
const char* fashion_mnist_class(int label);
const char* fashion_mnist_category(int label);

}  // namespace vltune::datasets
