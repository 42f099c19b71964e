// `vltune prepare RECIPE --out CACHE` (or `--dataset FILE --model DIR --out CACHE`): decode and
// resize a dataset's images and clips once into a memory-mapped media cache
// (datasets/media_cache.h). With a recipe, its model.path and every dataset of its data section.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/yaml_util.h"
#include "datasets/dataset_yaml.h"
#include "datasets/media_cache.h"
#include "datasets/registry.h"
#include "multimodal/model_config.h"

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
  cmd->add_option("--num-frames", args->num_frames, "Frames sampled uniformly per clip")->capture_default_str();
  cmd->add_flag("--strict", args->strict, "Stop at the first bad sample (on_bad_sample: error)");
  cmd->callback([args] {
    if (args->recipe.empty() == args->dataset.empty()) fail("[prepare] give a RECIPE or --dataset FILE");
    std::vector<datasets::DatasetSpec> specs;
    auto policy = args->strict ? datasets::OnBadSample::kError : datasets::OnBadSample::kSkip;
    if (!args->recipe.empty()) {
      const auto declared = datasets::read_declared_datasets(args->recipe);
      for (const auto& entry : declared.datasets) specs.push_back(entry.second);
      if (!args->strict) policy = declared.on_bad_sample;
      if (args->model_dir.empty()) {
        const auto root = load_yaml_file(args->recipe);
        if (!root["model"] || !root["model"]["path"]) fail("[prepare] ", args->recipe, ": no model.path; pass --model DIR");
        args->model_dir = (std::filesystem::path(args->recipe).parent_path() / root["model"]["path"].as<std::string>()).string();
      }
    } else {
      datasets::DatasetSpec spec;
      spec.format = args->format;
      spec.path = args->dataset;
      specs.push_back(spec);
    }
    if (args->model_dir.empty()) fail("[prepare] --model DIR is required with --dataset");
    const auto config = multimodal::read_model_config(args->model_dir);
    if (!config.has_vision()) fail("[prepare] ", args->model_dir, " has no vision tower: nothing to prepare");
    datasets::MediaSettings settings;
    settings.image = vision::image_processor_config(args->model_dir, *config.vision);
    settings.frames.num_frames = args->num_frames;
    datasets::BadSamples bad(policy);
    std::vector<datasets::MediaToCache> media;
    for (const auto& spec : specs)
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
