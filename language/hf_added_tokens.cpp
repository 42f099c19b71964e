#include "language/hf_added_tokens.h"

#include <algorithm>
#include <array>

#include "language/hf_regex.h"
#include "language/utf8.h"

namespace vltune::language {

// Byte trie over the tokens' contents, for leftmost-longest search.
class HfAddedTokens::Trie {
 public:
  void insert(const std::string& pattern, int32_t token) {
    if (pattern.empty()) return;
    int32_t node = root_[static_cast<unsigned char>(pattern[0])];
    if (node < 0) node = root_[static_cast<unsigned char>(pattern[0])] = new_node();
    for (std::size_t k = 1; k < pattern.size(); ++k) {
      auto& children = nodes_[node].children;
      const auto byte = static_cast<unsigned char>(pattern[k]);
      auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
      if (it == children.end() || it->first != byte) {
        const int32_t child = new_node();
        it = nodes_[node].children.insert(
            std::lower_bound(nodes_[node].children.begin(), nodes_[node].children.end(), std::make_pair(byte, int32_t{-1})),
            {byte, child});
      }
      node = it->second;
    }
    nodes_[node].token = token;
  }
  // The longest pattern starting at `at`: its length and token, or length 0.
  std::pair<std::size_t, int32_t> longest_at(const std::string& text, std::size_t at) const {
    int32_t node = root_[static_cast<unsigned char>(text[at])];
    std::pair<std::size_t, int32_t> best{0, -1};
    for (std::size_t k = at + 1; node >= 0; ++k) {
      if (nodes_[node].token >= 0) best = {k - at, nodes_[node].token};
      if (k >= text.size()) break;
      const auto& children = nodes_[node].children;
      const auto byte = static_cast<unsigned char>(text[k]);
      const auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
      node = it != children.end() && it->first == byte ? it->second : -1;
    }
    return best;
  }
  bool empty() const { return nodes_.empty(); }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;
    int32_t token = -1;
  };
  int32_t new_node() {
    nodes_.emplace_back();
    return static_cast<int32_t>(nodes_.size() - 1);
  }
  std::array<int32_t, 256> root_ = [] {
    std::array<int32_t, 256> a{};
    a.fill(-1);
    return a;
  }();
  std::vector<Node> nodes_;
};

namespace {

// Rust regex's \w and \s, which the reference library uses for single_word, lstrip and rstrip.
const HfRegex& word_char() {
  static const HfRegex regex(R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}])", "added token word test");
  return regex;
}
const HfRegex& space_char() {
  static const HfRegex regex(R"(\p{White_Space})", "added token space test");
  return regex;
}

bool char_matches(const HfRegex& regex, const std::string& text, std::size_t at) {
  std::size_t end = 0;
  return regex.matches_at_start(std::string_view(text).substr(at), &end);
}

// The start of the character that ends text[0, end).
std::size_t previous_char(const std::string& text, std::size_t end) {
  std::size_t at = end - 1;
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  return at;
}

std::size_t next_char(const std::string& text, std::size_t at) {
  std::size_t length = 1;
  utf8::decode_at(text, at, &length);
  return at + length;
}

}  // namespace

HfAddedTokens::HfAddedTokens(std::vector<HfAddedToken> tokens, const HfNormalizer& normalizer) : tokens_(std::move(tokens)) {
  auto raw = std::make_shared<Trie>(), normalized = std::make_shared<Trie>();
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const auto& token = tokens_[i];
    by_id_.emplace(token.id, i);
    by_content_.emplace(token.content, i);
    if (!token.normalized) {
      raw->insert(token.content, static_cast<int32_t>(i));
      continue;
    }
    std::string form = token.content;
    if (normalizer) normalizer(form);
    normalized->insert(form, static_cast<int32_t>(i));
  }
  raw_ = raw;
  normalized_ = normalized;
}

const HfAddedToken* HfAddedTokens::by_id(int64_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const HfAddedToken* HfAddedTokens::by_content(const std::string& content) const {
  const auto it = by_content_.find(content);
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

void HfAddedTokens::find(const std::string& text, bool at_start, const Trie& trie, std::vector<HfSplit>& out) const {
  std::size_t taken = 0;  // the end of what the splits so far cover
  auto push_text = [&](std::size_t from, std::size_t to) {
    if (from < to) out.push_back({text.substr(from, to - from), -1, at_start && from == 0});
  };
  for (std::size_t at = 0; at < text.size();) {
    const auto [length, index] = trie.empty() ? std::pair<std::size_t, int32_t>{0, -1} : trie.longest_at(text, at);
    if (length == 0) {
      if (trie.empty()) break;
      ++at;
      continue;
    }
    std::size_t start = at, stop = at + length;
    at = stop;  // the search goes on after the match, whatever the flags make of it
    const auto& token = tokens_[index];
    if (token.single_word) {
      const bool word_before = start > 0 && char_matches(word_char(), text, previous_char(text, start));
      const bool word_after = stop < text.size() && char_matches(word_char(), text, stop);
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      std::size_t left = start;
      while (left > 0 && char_matches(space_char(), text, previous_char(text, left))) left = previous_char(text, left);
      start = std::max(left, taken);
    }
    if (token.rstrip)
      while (stop < text.size() && char_matches(space_char(), text, stop)) stop = next_char(text, stop);
    start = std::max(start, taken);
    push_text(taken, start);
    out.push_back({text.substr(start, stop - start), token.id, false});
    taken = stop;
  }
  push_text(taken, text.size());
}

std::vector<HfSplit> HfAddedTokens::split(const std::string& text, const HfNormalizer& normalizer) const {
  std::vector<HfSplit> raw_splits, out;
  find(text, true, *raw_, raw_splits);
  for (auto& piece : raw_splits) {
    if (piece.id >= 0) {
      out.push_back(std::move(piece));
      continue;
    }
    if (normalizer) normalizer(piece.text);
    find(piece.text, piece.at_start, *normalized_, out);
  }
  return out;
}

}  // namespace vltune::language
