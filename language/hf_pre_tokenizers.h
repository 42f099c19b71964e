// tokenizer.json pre-tokenizers, as a table of the types vltune implements (hf_pre_tokenizers.cpp):
//   Split       splits on a String or Regex pattern; behavior Removed | Isolated |
//               MergedWithPrevious | MergedWithNext | Contiguous; `invert` swaps matches and gaps
//   ByteLevel   optional prefix space, optional GPT-2 regex split, then each byte as its
//               byte-level character
//   Metaspace   spaces become `replacement`, prefixed per prepend_scheme (always | first | never),
//               split before each replacement when `split`
//   Digits      numbers apart from the rest; one piece per digit when individual_digits
//   Sequence    the listed pre-tokenizers in order
// Any other type is refused naming the file and JSON path. Empty pieces are dropped, as the
// reference library does.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "language/hf_json.h"

namespace vltune::language {

struct HfPiece {
  std::string text;
  bool at_start = false;  // begins at the start of the input (Metaspace's prepend_scheme "first")
};

using HfPreTokenizer = std::function<void(std::vector<HfPiece>&)>;

HfPreTokenizer make_hf_pre_tokenizer(const HfJson& node);  // node: the "pre_tokenizer" object

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Splits `piece` at `matches` (sorted, non-overlapping byte ranges) the way tokenizers'
// NormalizedString::split does, appending the non-empty results to `out`.
void split_piece(const HfPiece& piece, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                 SplitBehavior behavior, bool invert, std::vector<HfPiece>& out);

}  // namespace vltune::language
