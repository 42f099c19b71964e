#include "language/utf8.h"

#include <array>
#include <vector>

namespace vltune::language::utf8 {

namespace {

// The allowed range of the second byte after a lead byte (Unicode table 3-7).
std::pair<unsigned char, unsigned char> second_range(unsigned char lead) {
  if (lead == 0xE0) return {0xA0, 0xBF};
  if (lead == 0xED) return {0x80, 0x9F};
  if (lead == 0xF0) return {0x90, 0xBF};
  if (lead == 0xF4) return {0x80, 0x8F};
  return {0x80, 0xBF};
}

std::size_t width(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

struct ByteAlphabet {
  std::array<std::string, 256> chars;
  std::vector<int> bytes = std::vector<int>(324, -1);
  ByteAlphabet() {
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      chars[b] = encode(cp);
      bytes[cp] = b;
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet table;
  return table;
}

}  // namespace

std::size_t sequence_length(std::string_view text, std::size_t at, std::size_t* bad) {
  const auto lead = static_cast<unsigned char>(text[at]);
  const std::size_t n = width(lead);
  std::size_t good = 1;  // bytes that still form a valid prefix
  if (n == 0) {
    if (bad) *bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (at + k >= text.size()) break;
    const auto c = static_cast<unsigned char>(text[at + k]);
    const auto [lo, hi] = k == 1 ? second_range(lead) : std::pair<unsigned char, unsigned char>{0x80, 0xBF};
    if (c < lo || c > hi) break;
    ++good;
  }
  if (good == n) return n;
  if (bad) *bad = good;
  return 0;
}

std::size_t first_invalid(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool valid(std::string_view text) { return first_invalid(text) == std::string_view::npos; }

std::string lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t bad = 0;
    const std::size_t n = sequence_length(bytes, i, &bad);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += bad;
    }
  }
  return out;
}

std::string encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

char32_t decode_at(std::string_view text, std::size_t at, std::size_t* length) {
  const auto lead = static_cast<unsigned char>(text[at]);
  const std::size_t n = width(lead);
  *length = n;
  if (n == 1) return lead;
  char32_t cp = lead & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3F);
  return cp;
}

const std::string& byte_char(uint8_t byte) { return alphabet().chars[byte]; }

int byte_of(char32_t cp) {
  const auto& bytes = alphabet().bytes;
  return cp < bytes.size() ? bytes[cp] : -1;
}

}  // namespace vltune::language::utf8
