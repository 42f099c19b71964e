// tokenizer.json decoders, as a table of the types vltune implements (hf_decoders.cpp). Each
// maps the list of token strings to a new list, like tokenizers' decode_chain; the results are
// then concatenated.
//   ByteLevel     byte-level characters back to bytes, invalid UTF-8 as U+FFFD (one list item)
//   ByteFallback  runs of <0xXX> tokens back to their bytes; invalid UTF-8: one U+FFFD per byte
//   Fuse          everything into one item
//   Strip         removes up to `start` / `stop` copies of `content` at each token's ends
//   Replace       String or Regex pattern -> content, in each token
//   Metaspace     the replacement character back to a space (dropped in the first token unless
//                 prepend_scheme is never)
//   Sequence      the listed decoders in order
// Any other type is refused naming the file and JSON path.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "language/hf_json.h"

namespace vltune::language {

using HfDecoder = std::function<void(std::vector<std::string>&)>;

HfDecoder make_hf_decoder(const HfJson& node);  // node: the "decoder" object

}  // namespace vltune::language
