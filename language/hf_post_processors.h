// tokenizer.json post-processors, as a table of the types vltune implements
// (hf_post_processors.cpp). They act only when specials are asked for (`--specials`,
// add_special_tokens=True):
//   TemplateProcessing  the "single" template: its SpecialToken items' ids around the text's ids
//   ByteLevel           adds nothing (it only trims offsets, which vltune does not keep)
//   Sequence            the listed processors in order
// Any other type is refused naming the file and JSON path.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "language/hf_json.h"

namespace vltune::language {

using HfPostProcessor = std::function<void(std::vector<int64_t>&)>;

HfPostProcessor make_hf_post_processor(const HfJson& node);  // node: the "post_processor" object

}  // namespace vltune::language
