// SentencePiece tokenization (tokenizer.model from a model folder), and training a new vocabulary
// from text with SentencePiece's trainer (`vltune tokenizer train`). SentencePiece runs in a
// child process, `vltune-sentencepiece` (sentencepiece_protocol.h says why).
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace vltune::language {

class SentencePieceProcess;

class Tokenizer {
 public:
  static Tokenizer load(const std::string& model_path);  // a tokenizer.model file; throws naming it
  // MODEL_DIR/tokenizer.model; throws when the folder has none.
  static Tokenizer from_model_dir(const std::string& model_dir);

  std::vector<int64_t> encode(const std::string& text) const;  // no BOS/EOS
  std::string decode(const std::vector<int64_t>& ids) const;
  int64_t piece_id(const std::string& piece) const;  // -1 when the piece is not in the vocabulary
  int64_t vocab_size() const { return vocab_size_; }
  int64_t bos_id() const { return bos_; }  // -1 when the model has none
  int64_t eos_id() const { return eos_; }
  int64_t pad_id() const { return pad_; }
  int64_t unk_id() const { return unk_; }
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<SentencePieceProcess> process_;  // shared by copies of this tokenizer
  int64_t vocab_size_ = 0, bos_ = -1, eos_ = -1, pad_ = -1, unk_ = -1;
  std::string path_;
};

struct TokenizerTraining {
  std::string input;         // a text file, one sentence per line
  std::string model_prefix;  // writes <prefix>.model and <prefix>.vocab
  int vocab_size = 1000;
  std::string model_type = "bpe";  // bpe | unigram | char | word
  std::vector<std::string> special_tokens = {"<image>", "<video>"};  // kept whole, never split
};

// Trains with ids unk 0, bos 1, eos 2, pad 3 (LLaMA's layout plus a pad id); throws on failure.
void train_tokenizer(const TokenizerTraining& options);

}  // namespace vltune::language
