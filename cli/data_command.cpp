// `vltune data fashion-mnist|synthetic-video --out DIR`: the built-in datasets, written as files
// any recipe reads; `vltune data prior --train X --test Y`: a QA dataset's text-only prior.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "datasets/builtin/fashion_mnist.h"
#include "datasets/builtin/synthetic_video.h"
#include "datasets/registry.h"
#include "training/answer_prior.h"

namespace vltune::cli {

namespace {

struct PriorOptions {
  std::string train, test, format = "llava";
  std::size_t top = 20;
  bool json = false;
};

nlohmann::json prior_json(const training::AnswerPrior& prior, const PriorOptions& o) {
  nlohmann::json questions = nlohmann::json::array();
  for (const auto& q : prior.questions)
    questions.push_back({{"question", q.text}, {"answer", q.answer}, {"train", q.train}, {"test", q.test}, {"correct", q.correct}});
  return {{"train", o.train}, {"test", o.test}, {"prior", prior.score}, {"correct", prior.correct}, {"test_items", prior.test_items},
          {"unseen", prior.unseen}, {"overall_answer", prior.overall_answer}, {"questions", questions}};
}

void add_prior_command(CLI::App& data) {
  auto* command = data.add_subcommand("prior", "The text-only prior of a QA dataset: each test question answered with "
                                               "its most common training answer, without the image or video");
  auto o = std::make_shared<PriorOptions>();
  command->add_option("--train", o->train, "The training split's annotation file")->required();
  command->add_option("--test", o->test, "The test split's annotation file")->required();
  command->add_option("--format", o->format, "Their format (llava, jsonl, vqa, ...)")->capture_default_str();
  command->add_option("--top", o->top, "Question texts listed, the most frequent first (0: all)")->capture_default_str();
  command->add_flag("--json", o->json, "Print JSON (the score, the counts, every question text) instead");
  command->callback([o] {
    datasets::BadSamples bad(datasets::OnBadSample::kError);
    auto read = [&](const std::string& path) {
      datasets::DatasetSpec spec;
      spec.format = o->format;
      spec.path = path;
      return datasets::read_dataset(spec, bad);
    };
    const auto train = read(o->train), test = read(o->test);
    const auto prior = training::text_only_prior(train, test);
    if (o->json)
      std::cout << prior_json(prior, *o).dump(1) << "\n";
    else
      std::cout << training::describe_prior(prior, o->top);
  });
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Write a built-in dataset (real data, no download), or measure a QA dataset's prior");
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
  video->add_option("--seed", video_options->seed, "Seed below 2^31; the same seed gives the same clips")->capture_default_str();
  video->add_option("--frames", video_options->frames, "Frames per clip")->capture_default_str();
  video->add_option("--range", video_options->range,
                    "Clip seed range: pretrain or downstream (disjoint; default downstream, for fine-tuning and eval)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, datasets::ClipRange>{
          {"pretrain", datasets::ClipRange::kPretrain}, {"downstream", datasets::ClipRange::kDownstream}}));
  video->callback([video_options] {
    const auto summary = datasets::build_synthetic_video(*video_options);
    std::cout << "wrote " << summary.train << " train and " << summary.test << " test clips with caption_{train,test}.json "
              << "and qa_{train,test}.json to " << video_options->out << "\n";
  });
  add_prior_command(*data);
}

}  // namespace vltune::cli
