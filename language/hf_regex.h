// The Unicode regular expressions of tokenizer.json pre-tokenizers and normalizers, through
// PCRE2 (UTF + UCP, JIT-compiled where the platform has it). Hugging Face's library uses
// Oniguruma; the patterns the model families ship (\p{L}, \p{N}, \s, lookahead, (?i:...)) mean
// the same in both.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "language/hf_json.h"

namespace vltune::language {

class HfRegex {
 public:
  // Throws "[tokenizer] <where>: ..." when PCRE2 cannot compile the pattern.
  HfRegex(const std::string& pattern, const std::string& where);
  // A pattern matching `literal` exactly (tokenizer.json's {"String": ...} patterns).
  static std::string escape(const std::string& literal);

  // The non-overlapping matches in `text` (valid UTF-8), left to right, as byte [start, end)
  // pairs; after an empty match the search moves on by one character.
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const;
  std::string replace_all(std::string_view text, const std::string& content) const;  // every match -> content
  bool matches_at_start(std::string_view text, std::size_t* end) const;  // an anchored match at 0

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
  std::string where_;
};

// The PCRE2 pattern of a tokenizer.json pattern object: {"String": literal} or {"Regex": pattern}.
std::string hf_pattern(const HfJson& pattern);

}  // namespace vltune::language
