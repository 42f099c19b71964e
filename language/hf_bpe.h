// The BPE model of a tokenizer.json ("model": {"type": "BPE", ...}), exact to Hugging Face's
// tokenizers: a word starts as its characters (with byte_fallback, an unknown character becomes
// its <0xXX> byte tokens; otherwise the unk token, consecutive ones fused when fuse_unk), then
// the pair of lowest merge rank, leftmost first, is merged until no listed pair remains. With
// ignore_merges (Llama 3) a word that is itself in the vocabulary is one token. Results are
// cached per word. dropout is refused: it makes encoding random.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "language/hf_json.h"

namespace vltune::language {

class HfBpe {
 public:
  explicit HfBpe(const HfJson& model);  // throws naming the file and JSON path

  void tokenize(const std::string& word, std::vector<int64_t>& out) const;  // appends the ids
  std::optional<int64_t> token_to_id(const std::string& token) const;
  const std::string* id_to_token(int64_t id) const;  // nullptr when no token has this id
  int64_t size() const { return static_cast<int64_t>(vocab_.size()); }
  int64_t max_id() const { return static_cast<int64_t>(tokens_.size()) - 1; }
  const std::string& unk_token() const { return unk_token_; }

 private:
  struct Merge {
    int32_t rank, id;
  };
  void read_vocab(const HfJson& vocab);
  void read_merges(const HfJson& merges);
  void symbols_of(const std::string& word, std::vector<int32_t>& ids, std::vector<uint32_t>& lengths) const;
  std::vector<int32_t> merge_word(const std::string& word) const;
  const Merge* find_merge(int32_t left, int32_t right) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<const std::string*> tokens_;  // by id
  std::unordered_map<uint64_t, Merge> merges_;
  std::string unk_token_, prefix_, suffix_;
  bool byte_fallback_ = false, fuse_unk_ = false, ignore_merges_ = false;
  std::vector<int32_t> byte_ids_;  // <0xXX> ids when byte_fallback, -1 when absent

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace vltune::language
