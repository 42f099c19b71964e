// `vltune prepare --dataset FILE --model DIR --out CACHE`: decode and resize a dataset's images
// and clips once into a memory-mapped media cache (datasets/media_cache.h).
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "datasets/media_cache.h"
#include "datasets/registry.h"
#include "multimodal/model_config.h"

namespace vltune::cli {

void add_prepare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "Decode and resize a dataset's media once, into a memory-mapped cache");
  struct Args {
    std::string dataset, format = "llava", model_dir, out;
    int64_t num_frames = 8;
    bool strict = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--dataset", args->dataset, "The dataset's annotation file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--format", args->format, "Its format")->capture_default_str();
  cmd->add_option("--model", args->model_dir, "The model folder (its tower and preprocessor_config.json set the size)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", args->out, "Cache folder")->required();
  cmd->add_option("--num-frames", args->num_frames, "Frames sampled uniformly per clip")->capture_default_str();
  cmd->add_flag("--strict", args->strict, "Stop at the first bad sample (on_bad_sample: error)");
  cmd->callback([args] {
    const auto config = multimodal::read_model_config(args->model_dir);
    if (!config.has_vision()) fail("[prepare] ", args->model_dir, " has no vision tower: nothing to prepare");
    datasets::MediaSettings settings;
    settings.image = vision::image_processor_config(args->model_dir, *config.vision);
    settings.frames.num_frames = args->num_frames;
    datasets::BadSamples bad(args->strict ? datasets::OnBadSample::kError : datasets::OnBadSample::kSkip);
    datasets::DatasetSpec spec;
    spec.format = args->format;
    spec.path = args->dataset;
    std::vector<datasets::MediaToCache> media;
    for (const auto& sample : datasets::read_dataset(spec, bad)) {
      for (const auto& image : sample.images) media.push_back({image, false});
      if (!sample.video.empty()) media.push_back({sample.video, true});
    }
    const auto summary = datasets::build_media_cache(media, settings, args->out, bad);
    std::cout << "prepared " << summary.media << " media files (" << summary.bytes / (1 << 20) << " MiB in "
              << summary.shards << " shards) into " << args->out << "; " << bad.count() << " bad samples skipped\n";
  });
}

}  // namespace vltune::cli
