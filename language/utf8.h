// UTF-8 helpers for the tokenizer.json pipeline: validation, code points, the replacement of
// invalid bytes exactly as Rust's String::from_utf8_lossy does (one U+FFFD per maximal invalid
// subpart), and GPT-2's byte-level alphabet (each byte shown as a printable code point).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace vltune::language::utf8 {

// The length of the valid UTF-8 sequence at `at`, or 0 when the bytes there are not one; `*bad`
// then gets the length of the invalid subpart (at least 1).
std::size_t sequence_length(std::string_view text, std::size_t at, std::size_t* bad = nullptr);
bool valid(std::string_view text);
std::size_t first_invalid(std::string_view text);  // npos when valid
std::string lossy(std::string_view bytes);         // invalid subparts become U+FFFD
std::string encode(char32_t code_point);
char32_t decode_at(std::string_view text, std::size_t at, std::size_t* length);  // valid text only

// Byte-level BPE's alphabet: byte b as a code point (printable bytes as themselves, the rest from
// U+0100 on), and back (-1 for a code point that stands for no byte).
const std::string& byte_char(uint8_t byte);
int byte_of(char32_t code_point);

}  // namespace vltune::language::utf8
