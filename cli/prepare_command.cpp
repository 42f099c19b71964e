// `vltune prepare RECIPE --out CACHE` (or `--dataset FILE --model DIR --out CACHE`): decode and
// resize a dataset's images and clips once into a memory-mapped media cache
// (datasets/media_cache.h). With a recipe (its `extends` followed), its model.path, every dataset of
// data.train and data.eval, its frame sampling and (patch-layout models) its data.min_pixels /
// data.max_pixels, so the cache is the one its runs accept.
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "core/error.h"
#include "datasets/media_cache.h"
#include "datasets/registry.h"
#include "multimodal/model_config.h"
#include "training/recipe.h"
#include "training/run_setup.h"

namespace vltune::cli {

void add_prepare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "Decode and resize a dataset's media once, into a memory-mapped cache");
  struct Args {
    std::string recipe, dataset, format = "llava", model_dir, out;
    int64_t num_frames = 8;
    bool strict = false;
  };
  auto args = std::make_shared<Args>();
  auto* recipe = cmd->add_option("recipe", args->recipe, "A recipe (model.path and a data section)")->check(CLI::ExistingFile);
  auto* dataset = cmd->add_option("--dataset", args->dataset, "Or one dataset's annotation file")->check(CLI::ExistingFile);
  recipe->excludes(dataset);
  cmd->add_option("--format", args->format, "Its format")->capture_default_str();
  cmd->add_option("--model", args->model_dir, "The model folder (default: the recipe's model.path); its tower and "
                                             "preprocessor_config.json set the size");
  cmd->add_option("--out", args->out, "Cache folder")->required();
  auto* num_frames_option = cmd->add_option("--num-frames", args->num_frames,
                                            "Frames sampled uniformly per clip (default: a recipe's data.num_frames, else 8)");
  cmd->add_flag("--strict", args->strict, "Stop at the first bad sample (on_bad_sample: error)");
  cmd->callback([args, num_frames_option] {
    if (args->recipe.empty() == args->dataset.empty()) fail("[prepare] give a RECIPE or --dataset FILE");
    std::optional<training::Recipe> recipe;
    if (!args->recipe.empty()) {
      recipe = training::Recipe::load(args->recipe);
      if (args->model_dir.empty()) {
        if (!recipe->has("model.path")) fail("[prepare] ", args->recipe, ": no model.path; pass --model DIR");
        args->model_dir = recipe->file_path("model.path");
      }
    }
    if (args->model_dir.empty()) fail("[prepare] --model DIR is required with --dataset");
    const auto config = multimodal::read_model_config(args->model_dir);
    if (!config.multimodal()) fail("[prepare] ", args->model_dir, " has no vision tower: nothing to prepare");
    datasets::MediaSettings settings;
    // The patch layout (Qwen2-VL): each image at its own size, within a recipe's min/max pixels.
    settings.patches = training::patch_processor(config, args->model_dir,
                                                 recipe ? training::visual_settings(*recipe) : training::VisualSettings{});
    if (!settings.patches) settings.image = vision::image_processor_config(args->model_dir, *config.vision);
    // A recipe's cache must match what its runs will ask for: its frame sampling, unless told otherwise.
    if (recipe) settings.frames = training::frame_sampling(*recipe);
    if (!recipe || num_frames_option->count() > 0) settings.frames.num_frames = args->num_frames;
    auto policy = args->strict ? datasets::OnBadSample::kError : datasets::OnBadSample::kSkip;
    if (recipe && !args->strict && recipe->str("data.on_bad_sample") == "error") policy = datasets::OnBadSample::kError;
    datasets::BadSamples bad(policy);
    std::vector<datasets::MediaToCache> media;
    auto add = [&](const std::vector<datasets::Sample>& samples) {
      for (const auto& sample : samples) {
        for (const auto& image : sample.images) media.push_back({image, false});
        if (!sample.video.empty()) media.push_back({sample.video, true});
      }
    };
    if (recipe) {
      add(training::read_recipe_datasets(*recipe, "data.train", bad));
      if (recipe->has("data.eval")) add(training::read_recipe_datasets(*recipe, "data.eval", bad));
    } else {
      datasets::DatasetSpec spec;
      spec.format = args->format;
      spec.path = args->dataset;
      add(datasets::read_dataset(spec, bad));
    }
    const auto summary = datasets::build_media_cache(media, settings, args->out, bad);
    if (summary.media == 0 && bad.count() > 0) {
      const auto reasons = bad.messages();
      fail("[prepare] no media file could be prepared: every one of the ", bad.count(), " bad samples was skipped",
           reasons.empty() ? std::string() : "; the last reason: " + reasons.back());
    }
    std::cout << "prepared " << summary.media << " media files (" << summary.bytes / (1 << 20) << " MiB in "
              << summary.shards << " shards) into " << args->out << "; " << bad.count() << " bad samples skipped\n";
  });
}

}  // namespace vltune::cli
