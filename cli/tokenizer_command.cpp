// `vltune tokenizer train`: a SentencePiece vocabulary from a text file or from a dataset's text.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "datasets/registry.h"
#include "language/tokenizer.h"

namespace vltune::cli {

namespace {

struct TrainArgs {
  std::string out, text, format = "llava";
  std::vector<std::string> datasets;
  int vocab = 1000;
  std::string model_type = "bpe";
};

// Every turn of every sample of every dataset, visual placeholders removed, one per line.
std::string dataset_text(const TrainArgs& args, const std::string& path) {
  datasets::BadSamples bad(datasets::OnBadSample::kSkip);
  std::ofstream out(path);
  for (const auto& file : args.datasets) {
    datasets::DatasetSpec spec;
    spec.format = args.format;
    spec.path = file;
    for (const auto& sample : datasets::read_dataset(spec, bad))
      for (auto turn : sample.turns) {
        for (const char* placeholder : {"<image>", "<video>"})
          for (auto at = turn.text.find(placeholder); at != std::string::npos; at = turn.text.find(placeholder))
            turn.text.erase(at, 7);
        if (turn.text.find_first_not_of(" \n") != std::string::npos) out << turn.text << "\n";
      }
  }
  return path;
}

}  // namespace

void add_tokenizer_command(CLI::App& app) {
  auto* tokenizer = app.add_subcommand("tokenizer", "SentencePiece tokenizers");
  tokenizer->require_subcommand(1);
  auto* train = tokenizer->add_subcommand("train", "Train a tokenizer; writes OUT.model and OUT.vocab");
  auto args = std::make_shared<TrainArgs>();
  train->add_option("--out", args->out, "Output prefix, e.g. models/tiny/tokenizer")->required();
  auto* text = train->add_option("--text", args->text, "A text file, one sentence per line")->check(CLI::ExistingFile);
  auto* dataset = train->add_option("--dataset", args->datasets, "A dataset's annotation file (repeatable)")->check(CLI::ExistingFile);
  text->excludes(dataset);
  train->add_option("--format", args->format, "The dataset's format")->capture_default_str();
  train->add_option("--vocab", args->vocab, "Vocabulary size")->capture_default_str();
  train->add_option("--model-type", args->model_type, "bpe | unigram | char | word")->capture_default_str();
  train->callback([args] {
    if (args->text.empty() == args->datasets.empty()) fail("[tokenizer] give --text FILE or --dataset FILE");
    const std::string corpus = args->text.empty() ? dataset_text(*args, args->out + ".corpus.txt") : args->text;
    language::train_tokenizer({corpus, args->out, args->vocab, args->model_type});
    if (corpus != args->text) std::filesystem::remove(corpus);
    const auto trained = language::Tokenizer::load(args->out + ".model");
    std::cout << "wrote " << args->out << ".model (" << trained.vocab_size() << " pieces; <image> = "
              << trained.piece_id("<image>") << ", <video> = " << trained.piece_id("<video>") << ")\n";
  });
}

}  // namespace vltune::cli
