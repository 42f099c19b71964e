// The length mix bench/gpu_packing_bench.cpp draws from: every training sample of a recipe prepared
// as training prepares it (the recipe's tokenizer, chat template, max_length and media), counted as
// text tokens (everything but the visual tokens), images and video frames. Prints one JSON line per
// distinct (text, images, frames) with its count, then a total line.
//
// Usage: vltune_bench_packing_lengths RECIPE [--set KEY=VALUE ...]
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "training/recipe.h"
#include "training/run_setup.h"

using namespace vltune;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: vltune_bench_packing_lengths RECIPE [--set KEY=VALUE ...]\n";
    return 2;
  }
  std::vector<std::string> overrides;
  for (int i = 2; i < argc; i += 2) {
    if (std::string(argv[i]) != "--set" || i + 1 >= argc) {
      std::cerr << "vltune_bench_packing_lengths: expected --set KEY=VALUE, got '" << argv[i] << "'\n";
      return 2;
    }
    overrides.push_back(argv[i + 1]);
  }
  try {
    const auto recipe = training::Recipe::load(argv[1], overrides);
    auto backbone = training::load_backbone(recipe, torch::Device(torch::kCPU));
    const auto data = training::load_run_data(recipe, backbone);
    const auto pooling = training::video_pooling(recipe);
    const auto& model = backbone.model();
    std::map<std::tuple<int64_t, int64_t, int64_t>, int64_t> counts;  // (text, images, frames) -> samples
    for (const auto& sample : data.train) {
      const auto prepared = data.preparer->prepare(sample, *data.bad);
      if (!prepared) continue;
      const int64_t pictures = prepared->pixels.defined() ? prepared->pixels.size(0) : 0;
      const int64_t images = prepared->video ? 0 : pictures, frames = prepared->video ? pictures : 0;
      const int64_t visual = images * model.config().tokens_per_image() + (frames > 0 ? model.tokens_per_video(frames, pooling) : 0);
      ++counts[{static_cast<int64_t>(prepared->input_ids.size()) - visual, images, frames}];
    }
    int64_t total = 0;
    for (const auto& [key, count] : counts) {
      std::printf("{\"text\": %ld, \"images\": %ld, \"frames\": %ld, \"samples\": %ld}\n", static_cast<long>(std::get<0>(key)),
                  static_cast<long>(std::get<1>(key)), static_cast<long>(std::get<2>(key)), static_cast<long>(count));
      total += count;
    }
    std::printf("{\"recipe\": \"%s\", \"samples\": %ld, \"skipped\": %ld, \"tokens_per_image\": %ld, \"spatial_pool\": %ld}\n",
                argv[1], static_cast<long>(total), static_cast<long>(data.bad->count()),
                static_cast<long>(model.config().tokens_per_image()), static_cast<long>(pooling.spatial));
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
