// tokenizer.json normalizers, as a table of the types vltune implements (hf_normalizers.cpp):
//   NFC, NFD, NFKC, NFKD   Unicode normalization (ICU)
//   Replace                every match of a String or Regex pattern becomes `content`
//   Prepend, Append        adds a string before / after a non-empty text
//   Sequence               the listed normalizers in order
// Any other type is refused naming the file and JSON path. A normalizer runs on each stretch of
// text between added tokens, never across one.
#pragma once
#include <functional>
#include <string>

#include "language/hf_json.h"

namespace vltune::language {

using HfNormalizer = std::function<void(std::string&)>;

HfNormalizer make_hf_normalizer(const HfJson& node);  // node: the "normalizer" object

}  // namespace vltune::language
