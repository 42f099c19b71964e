// tokenizer.json's added_tokens: tokens matched whole in the text before normalization and
// pre-tokenization, the way tokenizers' AddedVocabulary does it. Tokens with normalized=false
// are found in the raw text first; the text between them is then normalized and searched for the
// tokens with normalized=true (matched in their normalized form). Matching is leftmost-longest;
// single_word drops a match touching a word character; lstrip / rstrip take the whitespace
// beside the token into it.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "language/hf_normalizers.h"

namespace vltune::language {

struct HfAddedToken {
  std::string content;
  int64_t id = -1;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

// A stretch of the input: an added token (id >= 0) or normalized text for the pre-tokenizer.
struct HfSplit {
  std::string text;
  int64_t id = -1;
  bool at_start = false;  // text that begins the input
};

class HfAddedTokens {
 public:
  HfAddedTokens(std::vector<HfAddedToken> tokens, const HfNormalizer& normalizer);

  std::vector<HfSplit> split(const std::string& text, const HfNormalizer& normalizer) const;
  const HfAddedToken* by_id(int64_t id) const;
  const HfAddedToken* by_content(const std::string& content) const;
  const std::vector<HfAddedToken>& tokens() const { return tokens_; }

 private:
  class Trie;
  // Appends the splits of `text` found with `trie` (indices into tokens_).
  void find(const std::string& text, bool at_start, const Trie& trie, std::vector<HfSplit>& out) const;

  std::vector<HfAddedToken> tokens_;
  std::unordered_map<int64_t, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> by_content_;
  std::shared_ptr<const Trie> raw_, normalized_;
};

}  // namespace vltune::language
