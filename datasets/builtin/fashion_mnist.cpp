#include "datasets/builtin/fashion_mnist.h"

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "datasets/builtin/idx_file.h"
#include "vision/media/media.h"

namespace fs = std::filesystem;

namespace vltune::datasets {

namespace {

const char* kClasses[] = {"t-shirt", "trousers", "pullover", "dress", "coat",
                          "sandal",  "shirt",    "sneaker",  "bag",   "ankle boot"};
const char* kCaptions[] = {"a photo of a t-shirt", "a photo of a pair of trousers", "a photo of a pullover",
                           "a photo of a dress",   "a photo of a coat",             "a photo of a sandal",
                           "a photo of a shirt",   "a photo of a sneaker",          "a photo of a bag",
                           "a photo of an ankle boot"};
const char* kCategories[] = {"tops", "bottoms", "tops", "dresses", "tops", "footwear", "tops", "footwear", "bags", "footwear"};
const char* kCategoryNames[] = {"tops", "bottoms", "dresses", "footwear", "bags"};
const int kCategorySizes[] = {4, 1, 1, 3, 1};  // classes in each category

int category_index(int label) {
  for (int c = 0; c < 5; ++c)
    if (std::string(kCategoryNames[c]) == kCategories[label]) return c;
  return 0;  // unreachable: every class has one of the five categories
}

nlohmann::json conversation(const std::string& image, const std::string& question, const std::string& answer, const std::string& id) {
  return {{"id", id},
          {"image", image},
          {"conversations", {{{"from", "human"}, {"value", question}}, {{"from", "gpt"}, {"value", answer}}}}};
}

int64_t build_split(const FashionMnistOptions& o, const std::string& split, const std::string& prefix, std::mt19937_64& rng) {
  const auto images = read_idx((fs::path(o.source) / (prefix + "-images-idx3-ubyte.gz")).string(), 3);
  const auto labels = read_idx((fs::path(o.source) / (prefix + "-labels-idx1-ubyte.gz")).string(), 1);
  if (images.dims[0] != labels.dims[0] || images.dims[1] != 28 || images.dims[2] != 28)
    fail("[fashion-mnist] ", o.source, ": ", split, " images ", images.dims[0], "x", images.dims[1], "x", images.dims[2],
         " do not match ", labels.dims[0], " labels of 28x28 images");
  const int64_t count = o.limit > 0 ? std::min<int64_t>(o.limit, images.dims[0]) : images.dims[0];
  fs::create_directories(fs::path(o.out) / "images" / split);
  std::array<int64_t, 5> asked_category;  // images of each category so far, from a seeded phase
  for (int c = 0; c < 5; ++c) asked_category[c] = static_cast<int64_t>(rng() % (2 * kCategorySizes[c]));
  nlohmann::json captions = nlohmann::json::array(), vqa = nlohmann::json::array(), instruct = nlohmann::json::array();
  for (int64_t i = 0; i < count; ++i) {
    media::Image image;
    image.width = image.height = 28;
    image.rgb.resize(28 * 28 * 3);
    for (int p = 0; p < 28 * 28; ++p)
      for (int c = 0; c < 3; ++c) image.rgb[p * 3 + c] = images.data[i * 28 * 28 + p];
    char name[32];
    std::snprintf(name, sizeof(name), "%05ld.png", static_cast<long>(i));
    const std::string relative = "images/" + split + "/" + name;
    media::encode_image((fs::path(o.out) / relative).string(), image);
    const int label = labels.data[i];
    if (label > 9) fail("[fashion-mnist] ", o.source, ": ", split, " label ", label, " at index ", i, " is not 0-9");
    const std::string id = split + "-" + std::to_string(i);
    captions.push_back(conversation(relative, "<image>", kCaptions[label], id));
    // Every (2 x classes)-th image of a category is asked its category, the others what they are:
    // the category answers come out balanced (5 answers) as the item answers are (10).
    const int category = category_index(label);
    if (asked_category[category]++ % (2 * kCategorySizes[category]) == 0)
      vqa.push_back(conversation(relative, "<image>\nWhich category does this item belong to?", kCategories[label], id));
    else
      vqa.push_back(conversation(relative, "<image>\nWhat is this item?", kClasses[label], id));
    // A text-only instruction about the same item, in the alpaca format.
    const std::string asked = rng() % 2 ? kCategories[label] : kCategoryNames[rng() % 5];
    instruct.push_back(rng() % 2 ? nlohmann::json{{"instruction", "Which category does this item belong to?"},
                                                  {"input", kClasses[label]}, {"output", kCategories[label]}}
                                 : nlohmann::json{{"instruction", "Is this item in the category " + asked + "? Answer yes or no."},
                                                  {"input", kClasses[label]}, {"output", asked == kCategories[label] ? "yes" : "no"}});
  }
  write_file_atomically((fs::path(o.out) / ("caption_" + split + ".json")).string(), captions.dump(1) + "\n");
  write_file_atomically((fs::path(o.out) / ("vqa_" + split + ".json")).string(), vqa.dump(1) + "\n");
  write_file_atomically((fs::path(o.out) / ("instruct_" + split + ".json")).string(), instruct.dump(1) + "\n");
  return count;
}

}  // namespace

const char* fashion_mnist_class(int label) { return kClasses[label]; }
const char* fashion_mnist_category(int label) { return kCategories[label]; }

FashionMnistSummary build_fashion_mnist(const FashionMnistOptions& options) {
  if (options.out.empty()) fail("[fashion-mnist] an output folder is required");
  std::mt19937_64 rng(options.seed);
  FashionMnistSummary summary;
  summary.train = build_split(options, "train", "train", rng);
  summary.test = build_split(options, "test", "t10k", rng);
  return summary;
}

}  // namespace vltune::datasets
