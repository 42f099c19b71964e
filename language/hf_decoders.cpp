#include "language/hf_decoders.h"

#include <map>
#include <memory>

#include "core/error.h"
#include "language/hf_regex.h"
#include "language/utf8.h"

namespace vltune::language {

namespace {

using Tokens = std::vector<std::string>;
using Factory = HfDecoder (*)(const HfJson&);

HfDecoder byte_level(const HfJson&) {
  return [](Tokens& tokens) {
    std::string bytes;
    for (const auto& token : tokens) {
      const std::size_t mark = bytes.size();
      bool all = true;
      for (std::size_t at = 0; at < token.size() && all;) {
        std::size_t length = 1;
        const int byte = utf8::byte_of(utf8::decode_at(token, at, &length));
        all = byte >= 0;
        if (all) bytes += static_cast<char>(byte);
        at += length;
      }
      if (!all) bytes.replace(mark, std::string::npos, token);  // a token outside the alphabet: its own bytes
    }
    tokens = {utf8::lossy(bytes)};
  };
}

// "<0xAB>" -> 0xAB, as Rust's u8::from_str_radix(&token[3..5], 16) reads it; -1 otherwise.
int byte_token(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (token[3] == '+') return digit(token[4]);
  const int high = digit(token[3]), low = digit(token[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

HfDecoder byte_fallback(const HfJson&) {
  return [](Tokens& tokens) {
    Tokens out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8::valid(pending))
        out.push_back(pending);
      else
        out.insert(out.end(), pending.size(), "\xEF\xBF\xBD");
      pending.clear();
    };
    for (auto& token : tokens) {
      const int byte = byte_token(token);
      if (byte >= 0) {
        pending += static_cast<char>(byte);
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  };
}

HfDecoder fuse(const HfJson&) {
  return [](Tokens& tokens) {
    std::string all;
    for (const auto& token : tokens) all += token;
    tokens = {all};
  };
}

HfDecoder strip(const HfJson& node) {
  const std::string content = node.str("content");
  const int64_t start = node.at("start").integer(), stop = node.at("stop").integer();
  if (content.empty() || utf8::sequence_length(content, 0) != content.size()) node.at("content").fail("expected one character");
  return [content, start, stop](Tokens& tokens) {
    for (auto& token : tokens) {
      std::size_t begin = 0, end = token.size();
      for (int64_t k = 0; k < start && token.compare(begin, content.size(), content) == 0 && begin < end; ++k)
        begin += content.size();
      for (int64_t k = 0; k < stop && end >= begin + content.size() && token.compare(end - content.size(), content.size(), content) == 0; ++k)
        end -= content.size();
      token = token.substr(begin, end - begin);
    }
  };
}

HfDecoder replace(const HfJson& node) {
  auto regex = std::make_shared<HfRegex>(hf_pattern(node.at("pattern")), node.at("pattern").where());
  const std::string content = node.str("content");
  return [regex, content](Tokens& tokens) {
    for (auto& token : tokens) token = regex->replace_all(token, content);
  };
}

HfDecoder metaspace(const HfJson& node) {
  const std::string replacement = node.str("replacement");
  std::string scheme = node.boolean_or("add_prefix_space", true) ? "always" : "never";
  scheme = node.str_or("prepend_scheme", scheme);
  const bool drop_first = scheme != "never";
  return [replacement, drop_first](Tokens& tokens) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const auto& token = tokens[i];
      for (std::size_t at = 0; at < token.size();) {
        if (!replacement.empty() && token.compare(at, replacement.size(), replacement) == 0) {
          if (!(i == 0 && drop_first)) out += ' ';
          at += replacement.size();
        } else {
          out += token[at++];
        }
      }
      tokens[i] = std::move(out);
    }
  };
}

HfDecoder sequence(const HfJson& node) { return sequence_of(node, "decoders", make_hf_decoder); }

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"ByteLevel", byte_level}, {"ByteFallback", byte_fallback}, {"Fuse", fuse},         {"Strip", strip},
      {"Replace", replace},      {"Metaspace", metaspace},        {"Sequence", sequence},
  };
  return table;
}

}  // namespace

HfDecoder make_hf_decoder(const HfJson& node) { return make_from_table(node, factories(), "decoder"); }

}  // namespace vltune::language
