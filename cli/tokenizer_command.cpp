// `vltune tokenizer train`: a SentencePiece vocabulary from a text file or from a dataset's text.
// `vltune tokenizer encode` / `decode`: ids for text and back, with a tokenizer.json, a
// tokenizer.model or a model folder's tokenizer (one JSON value per line with --jsonl).
#include <nlohmann/json.hpp>

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

struct CodecArgs {
  std::string tokenizer, text, ids, jsonl;
  bool specials = false;
};

// Calls `each` with every JSON value of the input: --text/--ids (one value) or --jsonl (one per
// line, blank lines skipped); a line that is not JSON is an error naming the file and line.
template <class Each>
void for_each_input(const CodecArgs& args, const std::string& single, Each each) {
  if (args.jsonl.empty()) return each(nlohmann::json::parse(single, nullptr, false), "the argument");
  std::ifstream in(args.jsonl);
  if (!in) fail("[tokenizer] ", args.jsonl, ": cannot open the file");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    each(nlohmann::json::parse(line, nullptr, false), cat(args.jsonl, ":", number));
  }
}

void encode(const CodecArgs& args) {
  const auto tokenizer = language::Tokenizer::load(args.tokenizer);
  const std::string single = args.jsonl.empty() ? nlohmann::json(args.text).dump() : "";
  for_each_input(args, single, [&](const nlohmann::json& value, const std::string& where) {
    if (!value.is_string()) fail("[tokenizer] ", where, ": expected a JSON string");
    std::cout << nlohmann::json(tokenizer.encode(value.get<std::string>(), args.specials)).dump() << "\n";
  });
}

void decode(const CodecArgs& args) {
  const auto tokenizer = language::Tokenizer::load(args.tokenizer);
  for_each_input(args, args.ids, [&](const nlohmann::json& value, const std::string& where) {
    std::vector<int64_t> ids;
    if (!value.is_array()) fail("[tokenizer] ", where, ": expected a JSON array of ids");
    for (const auto& id : value) {
      if (!id.is_number_integer()) fail("[tokenizer] ", where, ": expected integer ids, found ", id.dump());
      ids.push_back(id.get<int64_t>());
    }
    std::cout << nlohmann::json(tokenizer.decode(ids, args.specials)).dump() << "\n";
  });
}

void add_codec_commands(CLI::App& tokenizer) {
  auto args = std::make_shared<CodecArgs>();
  auto* enc = tokenizer.add_subcommand("encode", "Print the ids of a text, as a JSON array (one per line with --jsonl)");
  auto* dec = tokenizer.add_subcommand("decode", "Print the text of ids, as a JSON string (one per line with --jsonl)");
  for (auto* cmd : {enc, dec})
    cmd->add_option("--tokenizer", args->tokenizer, "A tokenizer.json, a tokenizer.model or a model folder")->required();
  auto* text = enc->add_option("--text", args->text, "The text");
  auto* ids = dec->add_option("--ids", args->ids, "The ids as a JSON array, e.g. [1,2,3]");
  auto* in_enc = enc->add_option("--jsonl", args->jsonl, "A file of JSON strings, one per line")->check(CLI::ExistingFile);
  auto* in_dec = dec->add_option("--jsonl", args->jsonl, "A file of JSON arrays of ids, one per line")->check(CLI::ExistingFile);
  text->excludes(in_enc);
  ids->excludes(in_dec);
  enc->add_flag("--specials", args->specials, "Add what the tokenizer adds around a text (its post-processor, e.g. BOS)");
  dec->add_flag("--skip-specials", args->specials, "Leave special tokens out of the text");
  enc->callback([args, text, in_enc] {
    if (!*text && !*in_enc) fail("[tokenizer] give --text STR or --jsonl FILE");
    encode(*args);
  });
  dec->callback([args, ids, in_dec] {
    if (!*ids && !*in_dec) fail("[tokenizer] give --ids JSON or --jsonl FILE");
    decode(*args);
  });
}

}  // namespace

void add_tokenizer_command(CLI::App& app) {
  auto* tokenizer = app.add_subcommand("tokenizer", "Tokenizers: train a SentencePiece one, encode and decode with any");
  tokenizer->require_subcommand(1);
  add_codec_commands(*tokenizer);
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
