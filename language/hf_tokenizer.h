// A Hugging Face tokenizer.json, encoded and decoded exactly as the `tokenizers` library does:
//   encode: added tokens found whole in the text (hf_added_tokens.h) -> the normalizer on the
//           text between them (hf_normalizers.h) -> the pre-tokenizer (hf_pre_tokenizers.h) ->
//           the BPE model on each piece (hf_bpe.h) -> with specials, the post-processor
//           (hf_post_processors.h);
//   decode: ids to tokens (added tokens first), specials skipped on request, then the decoder
//           (hf_decoders.h), or the tokens joined by spaces when the file has none.
// tokenizer_config.json beside the file gives bos/eos/pad/unk and add_bos_token. A component
// vltune does not implement, truncation or padding settings, or an inconsistent vocabulary are
// refused with the file and the JSON path.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vltune::language {

class HfBpe;
class HfAddedTokens;
class HfJson;

struct HfSpecialIds {
  int64_t bos = -1, eos = -1, pad = -1, unk = -1;  // -1: none
};

class HfTokenizer {
 public:
  // `json_path` is a tokenizer.json; `config_path` a tokenizer_config.json or "" for none.
  HfTokenizer(const std::string& json_path, const std::string& config_path);
  ~HfTokenizer();

  std::vector<int64_t> encode(const std::string& text, bool add_specials) const;  // throws on invalid UTF-8
  std::string decode(const std::vector<int64_t>& ids, bool skip_specials) const;  // unknown ids are skipped
  std::optional<int64_t> token_to_id(const std::string& token) const;
  int64_t vocab_size() const { return vocab_size_; }  // the largest id + 1
  const HfSpecialIds& specials() const { return specials_; }

 private:
  struct Pipeline;
  void read_added_tokens(const HfJson& list);
  void read_config(const std::string& config_path);

  std::string path_;
  std::unique_ptr<Pipeline> pipeline_;
  std::shared_ptr<const HfBpe> model_;
  std::unique_ptr<HfAddedTokens> added_;
  int64_t vocab_size_ = 0;
  HfSpecialIds specials_;
};

}  // namespace vltune::language
