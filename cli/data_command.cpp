// `vltune data fashion-mnist|synthetic-video --out DIR`: the built-in datasets, written as files
// any recipe reads.
#include <iostream>

#include "cli/commands.h"
#include "datasets/builtin/fashion_mnist.h"
#include "datasets/builtin/synthetic_video.h"

namespace vltune::cli {

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Write a built-in dataset (real data, no download)");
  data->require_subcommand(1);
  auto* fmnist = data->add_subcommand("fashion-mnist", "Fashion-MNIST (Debian's dataset-fashion-mnist) as PNGs + LLaVA JSON");
  auto options = std::make_shared<datasets::FashionMnistOptions>();
  fmnist->add_option("--out", options->out, "Output folder")->required();
  fmnist->add_option("--limit", options->limit, "Images per split (default: all 60000 + 10000)");
  fmnist->add_option("--seed", options->seed, "Seed for the VQA questions")->capture_default_str();
  fmnist->add_option("--source", options->source, "Folder with the IDX .gz files")->capture_default_str();
  fmnist->callback([options] {
    const auto summary = datasets::build_fashion_mnist(*options);
    std::cout << "wrote " << summary.train << " train and " << summary.test << " test images with caption_{train,test}.json "
              << "and vqa_{train,test}.json to " << options->out << "\n";
  });

  auto* video = data->add_subcommand("synthetic-video", "Clips of moving shapes (OpenCV + H.264) with captions and questions");
  auto video_options = std::make_shared<datasets::SyntheticVideoOptions>();
  video->add_option("--out", video_options->out, "Output folder")->required();
  video->add_option("--clips", video_options->clips, "Number of clips (the last fifth is the test split)")->capture_default_str();
  video->add_option("--seed", video_options->seed, "Seed; the same seed gives the same clips")->capture_default_str();
  video->add_option("--frames", video_options->frames, "Frames per clip")->capture_default_str();
  video->callback([video_options] {
    const auto summary = datasets::build_synthetic_video(*video_options);
    std::cout << "wrote " << summary.train << " train and " << summary.test << " test clips with caption_{train,test}.json "
              << "and qa_{train,test}.json to " << video_options->out << "\n";
  });
}

}  // namespace vltune::cli
