// Data-pipeline throughput: samples per second through the loader (worker threads decoding,
// resizing and tokenizing), for images and for 8-frame clips, decoded live and read from the
// prepared media cache, side by side in one run.
//
// Usage: vltune_bench_data --model DIR --images DIR/caption_train.json --videos DIR/caption_train.json
//                          [--samples 400] [--workers 2]
// (the datasets come from `vltune data fashion-mnist` and `vltune data synthetic-video`)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "datasets/loader.h"
#include "datasets/prepare.h"
#include "datasets/registry.h"
#include "multimodal/model_config.h"

using namespace vltune;
using namespace vltune::datasets;

namespace {

struct Measure {
  double samples_per_second;
  int64_t samples;
};

Measure run(const std::vector<Sample>& samples, const SamplePreparer& preparer, int workers, int64_t count) {
  BadSamples bad(OnBadSample::kError);
  DataLoader<PreparedSample> timed(static_cast<int64_t>(samples.size()),
                                   [&](int64_t i) { return preparer.prepare(samples[i], bad); }, {workers, 16, 0, true});
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < count; ++i) timed.next();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {count / seconds, count};
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt = {{"--samples", "400"}, {"--workers", "2"}};
  for (int i = 1; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  for (const char* required : {"--model", "--images", "--videos"})
    if (!opt.count(required)) {
      std::cerr << "usage: vltune_bench_data --model DIR --images JSON --videos JSON [--samples N] [--workers W]\n";
      return 2;
    }
  const int workers = std::stoi(opt["--workers"]);
  const int64_t count = std::stoll(opt["--samples"]);
  const auto config = multimodal::read_model_config(opt["--model"]);
  const auto cache_root = std::filesystem::temp_directory_path() / "vltune-bench-cache";
  std::filesystem::remove_all(cache_root);

  // A tokenizer trained on the captions, as a real run would have.
  BadSamples bad(OnBadSample::kError);
  auto spec_for = [](const std::string& path) {
    DatasetSpec spec;
    spec.format = "llava";
    spec.path = path;
    return spec;
  };
  const auto images = read_dataset(spec_for(opt["--images"]), bad);
  const auto videos = read_dataset(spec_for(opt["--videos"]), bad);
  std::filesystem::create_directories(cache_root);
  {
    std::ofstream text(cache_root / "text.txt");
    for (const auto* set : {&images, &videos})
      for (const auto& s : *set) text << s.references[0] << "\n";
  }
  language::train_tokenizer({(cache_root / "text.txt").string(), (cache_root / "tok").string(), 300});
  const auto tokenizer = language::Tokenizer::load((cache_root / "tok.model").string());

  PrepareOptions options;
  options.chat_template = "plain";
  options.encode.visual_token_id = config.image_token_index;
  options.encode.tokens_per_image = config.tokens_per_image();
  options.encode.tokens_per_video = 8 * config.tokens_per_image();
  options.media.image = vision::image_processor_config(opt["--model"], *config.vision);
  options.media.frames.num_frames = 8;

  std::printf("data throughput: %ld samples per measure, %d workers, %ldx%ld pixels, clips of 8 frames\n",
              static_cast<long>(count), workers, static_cast<long>(options.media.image.height),
              static_cast<long>(options.media.image.width));
  std::printf("%-8s %14s %14s %10s\n", "kind", "live /s", "cached /s", "speed-up");
  for (const auto& [kind, samples] : {std::make_pair("images", &images), std::make_pair("clips", &videos)}) {
    SamplePreparer live(tokenizer, options);
    const auto live_rate = run(*samples, live, workers, count);
    std::vector<MediaToCache> media;
    for (const auto& s : *samples) {
      for (const auto& image : s.images) media.push_back({image, false});
      if (!s.video.empty()) media.push_back({s.video, true});
    }
    const auto dir = (cache_root / kind).string();
    build_media_cache(media, options.media, dir, bad);
    const auto cache = MediaCache::open(dir, options.media);
    SamplePreparer cached(tokenizer, options, &cache);
    const auto cached_rate = run(*samples, cached, workers, count);
    std::printf("%-8s %14.1f %14.1f %9.2fx\n", kind, live_rate.samples_per_second, cached_rate.samples_per_second,
                cached_rate.samples_per_second / live_rate.samples_per_second);
  }
  std::filesystem::remove_all(cache_root);
  return 0;
}
