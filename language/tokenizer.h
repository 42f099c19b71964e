// The tokenizer the trainer, templates, generation and datasets use, read from either kind of file
// a model folder ships:
//   tokenizer.json   Hugging Face's format, encoded in-process exactly as the `tokenizers`
//                    library does (hf_tokenizer.h), with tokenizer_config.json beside it;
//   tokenizer.model  SentencePiece, which runs in a child process, `vltune-sentencepiece`
//                    (sentencepiece_protocol.h says why).
// A folder with a tokenizer.json uses it; one with only a tokenizer.model keeps SentencePiece.
// Also: training a new SentencePiece vocabulary from text (`vltune tokenizer train`).
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace vltune::language {

class SentencePieceProcess;
class HfTokenizer;

class Tokenizer {
 public:
  // A tokenizer.json, a tokenizer.model or a model folder; throws naming the path.
  static Tokenizer load(const std::string& path);
  // MODEL_DIR/tokenizer.json, else MODEL_DIR/tokenizer.model; throws when the folder has neither.
  static Tokenizer from_model_dir(const std::string& model_dir);

  // add_specials: what the tokenizer adds around a text (tokenizer.json: its post-processor, as
  // add_special_tokens=True does; SentencePiece: BOS when the model has one).
  std::vector<int64_t> encode(const std::string& text, bool add_specials = false) const;
  // skip_specials drops special added tokens (tokenizer.json); SentencePiece always drops its
  // control pieces. Throws on an id outside the vocabulary.
  std::string decode(const std::vector<int64_t>& ids, bool skip_specials = false) const;
  int64_t piece_id(const std::string& piece) const;  // -1 when the piece is not in the vocabulary
  int64_t vocab_size() const { return vocab_size_; }
  int64_t bos_id() const { return bos_; }  // -1 when the model has none
  int64_t eos_id() const { return eos_; }
  int64_t pad_id() const { return pad_; }
  int64_t unk_id() const { return unk_; }
  const std::string& path() const { return path_; }
  bool is_tokenizer_json() const { return hf_ != nullptr; }

 private:
  std::shared_ptr<SentencePieceProcess> process_;  // SentencePiece; shared by copies of this tokenizer
  std::shared_ptr<const HfTokenizer> hf_;          // tokenizer.json; shared by copies
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
