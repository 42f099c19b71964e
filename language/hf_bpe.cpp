#include "language/hf_bpe.h"

#include <cstdio>
#include <queue>

#include "core/error.h"
#include "language/utf8.h"

namespace vltune::language {

namespace {

constexpr std::size_t kCacheCapacity = 100000;  // words kept
constexpr std::size_t kCachedWordBytes = 256;    // longer words are not cached

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// A symbol of a word being merged: its token and its neighbours (-1 at the ends); len 0 marks a
// symbol merged into its left neighbour.
struct Symbol {
  int32_t id, prev, next;
  uint32_t len;
};

struct Candidate {
  int32_t rank, pos, id;
  bool operator<(const Candidate& other) const {  // a min-heap on (rank, pos)
    return rank != other.rank ? rank > other.rank : pos > other.pos;
  }
};

}  // namespace

HfBpe::HfBpe(const HfJson& model) {
  if (model.has("dropout")) model.at("dropout").fail("BPE dropout makes encoding random; vltune refuses it");
  unk_token_ = model.str_or("unk_token", "");
  prefix_ = model.str_or("continuing_subword_prefix", "");
  suffix_ = model.str_or("end_of_word_suffix", "");
  byte_fallback_ = model.boolean_or("byte_fallback", false);
  fuse_unk_ = model.boolean_or("fuse_unk", false);
  ignore_merges_ = model.boolean_or("ignore_merges", false);
  read_vocab(model.at("vocab"));
  read_merges(model.at("merges"));
  if (!unk_token_.empty() && !vocab_.count(unk_token_))
    model.at("unk_token").fail("the unk token '" + unk_token_ + "' is not in the vocabulary");
  if (byte_fallback_) {
    byte_ids_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      const auto it = vocab_.find(name);
      if (it != vocab_.end()) byte_ids_[b] = it->second;
    }
  }
}

void HfBpe::read_vocab(const HfJson& vocab) {
  const auto members = vocab.members();
  vocab_.reserve(members.size());
  int64_t max_id = -1;
  for (const auto& [token, node] : members) {
    const int64_t id = node.integer();
    if (id >= static_cast<int64_t>(members.size()) * 2 + 1024)
      node.fail(cat("id ", id, " is far beyond the vocabulary's ", members.size(), " tokens"));
    vocab_.emplace(token, static_cast<int32_t>(id));
    max_id = std::max(max_id, id);
  }
  tokens_.assign(max_id + 1, nullptr);
  for (const auto& entry : vocab_) {
    if (tokens_[entry.second]) vocab.at(entry.first).fail(cat("id ", entry.second, " is given to two tokens"));
    tokens_[entry.second] = &entry.first;
  }
}

void HfBpe::read_merges(const HfJson& merges) {
  const auto items = merges.items();
  merges_.reserve(items.size());
  for (std::size_t rank = 0; rank < items.size(); ++rank) {
    const auto& item = items[rank];
    std::string left, right;
    if (item.is_string()) {
      const auto text = item.str();
      const auto space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
        item.fail("expected two tokens separated by one space, found '" + text + "'");
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else {
      const auto pair = item.items();
      if (pair.size() != 2) item.fail("expected a pair of tokens");
      left = pair[0].str();
      right = pair[1].str();
    }
    if (right.compare(0, prefix_.size(), prefix_) != 0 && !prefix_.empty())
      item.fail("'" + right + "' does not start with the continuing_subword_prefix");
    const std::string joined = left + right.substr(prefix_.size());
    int32_t ids[3];
    const std::string* names[3] = {&left, &right, &joined};
    for (int k = 0; k < 3; ++k) {
      const auto it = vocab_.find(*names[k]);
      if (it == vocab_.end()) item.fail("the merge names '" + *names[k] + "', which is not in the vocabulary");
      ids[k] = it->second;
    }
    merges_[pair_key(ids[0], ids[1])] = {static_cast<int32_t>(rank), ids[2]};  // a repeated pair: the last rank wins
  }
}

std::optional<int64_t> HfBpe::token_to_id(const std::string& token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* HfBpe::id_to_token(int64_t id) const {
  return id >= 0 && id < static_cast<int64_t>(tokens_.size()) ? tokens_[id] : nullptr;
}

const HfBpe::Merge* HfBpe::find_merge(int32_t left, int32_t right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

// The word's first symbols: one per character, byte tokens or the unk token for the unknown.
void HfBpe::symbols_of(const std::string& word, std::vector<int32_t>& ids, std::vector<uint32_t>& lengths) const {
  int32_t unk_id = -1;
  uint32_t unk_len = 0;
  auto flush_unk = [&] {
    if (unk_len == 0) return;
    ids.push_back(unk_id);
    lengths.push_back(unk_len);
    unk_len = 0;
  };
  std::string piece;
  for (std::size_t at = 0; at < word.size();) {
    std::size_t length = 1;
    utf8::decode_at(word, at, &length);
    piece.assign(at == 0 ? "" : prefix_).append(word, at, length);
    if (at + length >= word.size()) piece += suffix_;
    at += length;
    const auto it = vocab_.find(piece);
    if (it != vocab_.end()) {
      flush_unk();
      ids.push_back(it->second);
      lengths.push_back(static_cast<uint32_t>(length));
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char b : piece) all = all && byte_ids_[b] >= 0;
      if (all) {
        for (unsigned char b : piece) {
          ids.push_back(byte_ids_[b]);
          lengths.push_back(1);
        }
        continue;
      }
    }
    if (unk_token_.empty()) continue;  // the reference library drops the character
    if (unk_len > 0 && !fuse_unk_) flush_unk();
    unk_id = vocab_.at(unk_token_);
    unk_len += static_cast<uint32_t>(length);
  }
  flush_unk();
}

std::vector<int32_t> HfBpe::merge_word(const std::string& word) const {
  std::vector<int32_t> ids;
  std::vector<uint32_t> lengths;
  symbols_of(word, ids, lengths);
  const int32_t n = static_cast<int32_t>(ids.size());
  std::vector<Symbol> symbols(n);
  for (int32_t i = 0; i < n; ++i) symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1, lengths[i]};
  std::priority_queue<Candidate> queue;
  for (int32_t i = 0; i + 1 < n; ++i)
    if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) queue.push({m->rank, i, m->id});
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next < 0) continue;
    const Symbol right = symbols[left.next];
    const Merge* current = find_merge(left.id, right.id);
    if (!current || current->id != top.id) continue;  // an entry made stale by an earlier merge
    symbols[left.next].len = 0;
    left.id = top.id;
    left.len += right.len;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0)
      if (const Merge* m = find_merge(symbols[left.prev].id, left.id)) queue.push({m->rank, left.prev, m->id});
    if (left.next >= 0)
      if (const Merge* m = find_merge(left.id, symbols[left.next].id)) queue.push({m->rank, top.pos, m->id});
  }
  std::vector<int32_t> out;
  for (const auto& symbol : symbols)
    if (symbol.len != 0) out.push_back(symbol.id);
  return out;
}

void HfBpe::tokenize(const std::string& word, std::vector<int64_t>& out) const {
  if (ignore_merges_) {
    const auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() < kCachedWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  auto ids = merge_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(word, std::move(ids));
  }
}

}  // namespace vltune::language
