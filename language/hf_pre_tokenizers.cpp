#include "language/hf_pre_tokenizers.h"

#include <algorithm>
#include <map>
#include <memory>

#include "core/error.h"
#include "language/hf_regex.h"
#include "language/utf8.h"

namespace vltune::language {

namespace {

using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;
using Factory = HfPreTokenizer (*)(const HfJson&);

// GPT-2's split, which ByteLevel applies when use_regex is true.
const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Runs `split` on every piece and replaces the pieces by what it produced.
template <class Split>
void split_all(std::vector<HfPiece>& pieces, Split split) {
  std::vector<HfPiece> out;
  out.reserve(pieces.size());
  for (const auto& piece : pieces) split(piece, out);
  pieces = std::move(out);
}

SplitBehavior behavior_of(const HfJson& node) {
  static const std::map<std::string, SplitBehavior> names = {
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous}};
  const auto name = node.str();
  const auto it = names.find(name);
  if (it == names.end()) node.fail("unknown split behavior '" + name + "'");
  return it->second;
}

HfPreTokenizer split(const HfJson& node) {
  auto regex = std::make_shared<HfRegex>(hf_pattern(node.at("pattern")), node.at("pattern").where());
  const auto behavior = behavior_of(node.at("behavior"));
  const bool invert = node.boolean_or("invert", false);
  return [regex, behavior, invert](std::vector<HfPiece>& pieces) {
    split_all(pieces, [&](const HfPiece& piece, std::vector<HfPiece>& out) {
      split_piece(piece, regex->find_all(piece.text), behavior, invert, out);
    });
  };
}

HfPreTokenizer byte_level(const HfJson& node) {
  const bool prefix_space = node.boolean_or("add_prefix_space", true);
  std::shared_ptr<HfRegex> regex;
  if (node.boolean_or("use_regex", true)) regex = std::make_shared<HfRegex>(kGpt2Pattern, node.where());
  return [prefix_space, regex](std::vector<HfPiece>& pieces) {
    split_all(pieces, [&](HfPiece piece, std::vector<HfPiece>& out) {
      if (prefix_space && piece.text.rfind(' ', 0) != 0) piece.text.insert(0, " ");
      if (regex)
        split_piece(piece, regex->find_all(piece.text), SplitBehavior::kIsolated, false, out);
      else if (!piece.text.empty())
        out.push_back(std::move(piece));
    });
    for (auto& piece : pieces) {
      std::string mapped;
      mapped.reserve(piece.text.size() * 2);
      for (unsigned char byte : piece.text) mapped += utf8::byte_char(byte);
      piece.text = std::move(mapped);
    }
  };
}

HfPreTokenizer metaspace(const HfJson& node) {
  const std::string replacement = node.str("replacement");
  if (utf8::first_invalid(replacement) != std::string::npos || replacement.empty())
    node.at("replacement").fail("expected one character");
  std::string scheme = node.boolean_or("add_prefix_space", true) ? "always" : "never";
  scheme = node.str_or("prepend_scheme", scheme);
  if (scheme != "always" && scheme != "first" && scheme != "never")
    node.at("prepend_scheme").fail("expected always, first or never, found '" + scheme + "'");
  const bool split_on_replacement = node.boolean_or("split", true);
  return [replacement, scheme, split_on_replacement](std::vector<HfPiece>& pieces) {
    split_all(pieces, [&](HfPiece piece, std::vector<HfPiece>& out) {
      std::string replaced;
      for (char c : piece.text) c == ' ' ? replaced += replacement : replaced += c;
      const bool prefix = scheme == "always" || (scheme == "first" && piece.at_start);
      if (prefix && replaced.rfind(replacement, 0) != 0) replaced.insert(0, replacement);
      piece.text = std::move(replaced);
      if (!split_on_replacement) {
        if (!piece.text.empty()) out.push_back(std::move(piece));
        return;
      }
      Ranges matches;
      for (auto at = piece.text.find(replacement); at != std::string::npos; at = piece.text.find(replacement, at + replacement.size()))
        matches.emplace_back(at, at + replacement.size());
      split_piece(piece, matches, SplitBehavior::kMergedWithNext, false, out);
    });
  };
}

HfPreTokenizer digits(const HfJson& node) {
  auto numeric = std::make_shared<HfRegex>(R"(\p{N})", node.where());
  const auto behavior = node.boolean_or("individual_digits", false) ? SplitBehavior::kIsolated : SplitBehavior::kContiguous;
  return [numeric, behavior](std::vector<HfPiece>& pieces) {
    split_all(pieces, [&](const HfPiece& piece, std::vector<HfPiece>& out) {
      split_piece(piece, numeric->find_all(piece.text), behavior, false, out);
    });
  };
}

HfPreTokenizer sequence(const HfJson& node) { return sequence_of(node, "pretokenizers", make_hf_pre_tokenizer); }

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"Split", split}, {"ByteLevel", byte_level}, {"Metaspace", metaspace}, {"Digits", digits}, {"Sequence", sequence},
  };
  return table;
}

// (range, is_match) covering the whole text, as tokenizers' Pattern::find_matches gives them.
std::vector<std::pair<std::pair<std::size_t, std::size_t>, bool>> cover(std::size_t size, const Ranges& matches) {
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, bool>> out;
  if (size == 0) return {{{0, 0}, false}};
  std::size_t previous = 0;
  for (const auto& [start, end] : matches) {
    if (previous != start) out.push_back({{previous, start}, false});
    out.push_back({{start, end}, true});
    previous = end;
  }
  if (previous != size) out.push_back({{previous, size}, false});
  return out;
}

}  // namespace

void split_piece(const HfPiece& piece, const Ranges& matches, SplitBehavior behavior, bool invert, std::vector<HfPiece>& out) {
  auto parts = cover(piece.text.size(), matches);
  if (invert)
    for (auto& part : parts) part.second = !part.second;
  // (range, removed) after applying the behavior.
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, bool>> kept;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      kept = parts;
      break;
    case SplitBehavior::kIsolated:
      for (const auto& part : parts) kept.push_back({part.first, false});
      break;
    case SplitBehavior::kMergedWithPrevious:
    case SplitBehavior::kContiguous:
      for (const auto& [range, is_match] : parts) {
        const bool merge = behavior == SplitBehavior::kContiguous ? is_match == previous_match : is_match && !previous_match;
        if (merge && !kept.empty())
          kept.back().first.second = range.second;
        else
          kept.push_back({range, false});
        previous_match = is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->second && !previous_match && !kept.empty())
          kept.back().first.first = it->first.first;
        else
          kept.push_back({it->first, false});
        previous_match = it->second;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  for (const auto& [range, removed] : kept) {
    if (removed || range.first == range.second) continue;
    out.push_back({piece.text.substr(range.first, range.second - range.first), piece.at_start && range.first == 0});
  }
}

HfPreTokenizer make_hf_pre_tokenizer(const HfJson& node) { return make_from_table(node, factories(), "pre-tokenizer"); }

}  // namespace vltune::language
