// Built instead of the tokenizer.json pipeline when PCRE2 or ICU is missing (their -dev packages:
// libpcre2-dev, libicu-dev): loading a tokenizer.json then fails with this message, and
// SentencePiece tokenizers work as before.
#include "core/error.h"
#include "language/hf_added_tokens.h"
#include "language/hf_tokenizer.h"

namespace vltune::language {

struct HfTokenizer::Pipeline {};

HfTokenizer::HfTokenizer(const std::string& json_path, const std::string&) {
  fail("[tokenizer] ", json_path, ": this vltune was built without PCRE2 and ICU (libpcre2-dev, libicu-dev), which ",
       "tokenizer.json support needs; install them and rebuild");
}
HfTokenizer::~HfTokenizer() = default;
std::vector<int64_t> HfTokenizer::encode(const std::string&, bool) const { return {}; }
std::string HfTokenizer::decode(const std::vector<int64_t>&, bool) const { return {}; }
std::optional<int64_t> HfTokenizer::token_to_id(const std::string&) const { return std::nullopt; }

}  // namespace vltune::language
