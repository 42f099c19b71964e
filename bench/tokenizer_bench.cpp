// tokenizer.json encoding speed: tokens per second, one thread, over a few MB of mixed text
// (the golden corpus's lines, each numbered, in a shuffled order: scripts, emoji, code,
// whitespace runs, numbers, special tokens), cut into documents of about 2 KB.
//
// Usage: vltune_bench_tokenizer TOKENIZER [--megabytes 4] [--write-text FILE]
// --write-text saves the documents (one JSON string per line) for bench/tokenizer_reference_bench.js,
// which times Hugging Face's tokenizers library on the same text.
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "language/tokenizer.h"

using namespace vltune;

namespace {

std::vector<std::string> documents(double megabytes) {
  std::ifstream in(std::string(VLTUNE_SOURCE_DIR) + "/tests/data/tokenizer-goldens/corpus.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line).get<std::string>());
  if (lines.empty()) fail("[bench] cannot read the corpus");
  std::vector<std::string> docs(1);
  std::size_t total = 0;
  for (std::size_t i = 0; total < megabytes * 1e6; ++i) {
    const std::string piece = lines[(i * 7919) % lines.size()] + " " + std::to_string(i) + "\n";
    docs.back() += piece;
    total += piece.size();
    if (docs.back().size() > 2000) docs.emplace_back();
  }
  return docs;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) fail("usage: vltune_bench_tokenizer TOKENIZER [--megabytes 4] [--write-text FILE]");
    double megabytes = 4;
    std::string dump;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string flag = argv[i];
      if (flag == "--megabytes") megabytes = std::stod(argv[i + 1]);
      else if (flag == "--write-text") dump = argv[i + 1];
      else fail("unknown option ", flag);
    }
    const auto docs = documents(megabytes);
    if (!dump.empty()) {
      std::ofstream out(dump);
      for (const auto& doc : docs) out << nlohmann::json(doc).dump() << "\n";
    }
    auto start = std::chrono::steady_clock::now();
    const auto tokenizer = language::Tokenizer::load(argv[1]);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::size_t bytes = 0, tokens = 0;
    start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (const auto& doc : docs) {
      tokens += tokenizer.encode(doc).size();
      bytes += doc.size();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::cout << argv[1] << ": loaded in " << load_s << " s; " << docs.size() << " documents, " << bytes / 1e6 << " MB, "
              << tokens << " tokens in " << seconds << " s (" << cpu << " s of CPU): " << tokens / seconds
              << " tokens/s of wall time, " << tokens / cpu << " per CPU second (one thread)\n";
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
