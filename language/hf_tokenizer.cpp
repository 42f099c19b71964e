#include "language/hf_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_set>

#include "core/error.h"
#include "core/json_view.h"
#include "language/hf_added_tokens.h"
#include "language/hf_bpe.h"
#include "language/hf_decoders.h"
#include "language/hf_json.h"
#include "language/hf_normalizers.h"
#include "language/hf_post_processors.h"
#include "language/hf_pre_tokenizers.h"
#include "language/utf8.h"

namespace vltune::language {

struct HfTokenizer::Pipeline {
  HfNormalizer normalizer;
  HfPreTokenizer pre_tokenizer;
  HfPostProcessor post_processor;
  HfDecoder decoder;
};

namespace {

using Model = std::shared_ptr<const HfBpe>;

Model bpe(const HfJson& node) { return std::make_shared<HfBpe>(node); }

const std::map<std::string, Model (*)(const HfJson&)>& models() {
  static const std::map<std::string, Model (*)(const HfJson&)> table = {{"BPE", bpe}};
  return table;
}

// The id tokenizers' AddedVocabulary::add_tokens gives a token that is in neither vocabulary
// yet: the model's size, or one past the largest added id when that is already beyond it.
int64_t next_added_id(int64_t model_size, int64_t largest_added) {
  return largest_added >= model_size ? largest_added + 1 : model_size;
}

}  // namespace

HfTokenizer::HfTokenizer(const std::string& json_path, const std::string& config_path)
    : path_(json_path), pipeline_(std::make_unique<Pipeline>()) {
  if (!std::filesystem::is_regular_file(json_path)) fail("[tokenizer] ", json_path, ": no such file");
  const nlohmann::json document = read_json_file(json_path);
  const HfJson root(document, path_);
  if (!root.is_object()) root.fail("expected a JSON object");
  for (const char* key : {"truncation", "padding"})
    if (root.has(key)) root.at(key).fail("truncation and padding settings are not implemented by vltune (set them to null)");
  model_ = make_from_table(root.at("model"), models(), "model");
  if (const auto node = root.find("normalizer")) pipeline_->normalizer = make_hf_normalizer(*node);
  if (const auto node = root.find("pre_tokenizer")) pipeline_->pre_tokenizer = make_hf_pre_tokenizer(*node);
  if (const auto node = root.find("post_processor")) pipeline_->post_processor = make_hf_post_processor(*node);
  if (const auto node = root.find("decoder")) pipeline_->decoder = make_hf_decoder(*node);
  static const nlohmann::json no_tokens = nlohmann::json::array();
  read_added_tokens(root.has("added_tokens") ? root.at("added_tokens") : HfJson(no_tokens, path_, "added_tokens"));
  if (!model_->unk_token().empty()) specials_.unk = *model_->token_to_id(model_->unk_token());
  if (!config_path.empty()) read_config(config_path);
}

HfTokenizer::~HfTokenizer() = default;

void HfTokenizer::read_added_tokens(const HfJson& list) {
  std::vector<HfAddedToken> tokens;
  std::unordered_set<std::string> seen;
  int64_t largest_added = -1;
  for (const auto& item : list.items()) {
    HfAddedToken token;
    token.content = item.str("content");
    token.single_word = item.boolean_or("single_word", false);
    token.lstrip = item.boolean_or("lstrip", false);
    token.rstrip = item.boolean_or("rstrip", false);
    token.special = item.boolean_or("special", false);
    token.normalized = item.boolean_or("normalized", !token.special);
    const int64_t id = item.at("id").integer();
    if (token.content.empty()) item.at("content").fail("an added token cannot be empty");
    if (!seen.insert(token.content).second) item.at("content").fail("'" + token.content + "' is listed twice");
    // The id the reference library gives the token: its model id, or the next free one.
    const auto in_model = model_->token_to_id(token.content);
    const int64_t expected = in_model ? *in_model : next_added_id(model_->size(), largest_added);
    if (id != expected)
      item.at("id").fail(cat("'", token.content, "' has id ", id, " but the tokenizers library gives it ", expected,
                             in_model ? " (its id in the model's vocabulary)"
                                      : cat(" (the model's vocabulary has ", model_->size(), " tokens; added tokens follow it in order)")));
    token.id = id;
    largest_added = std::max(largest_added, id);
    tokens.push_back(std::move(token));
  }
  vocab_size_ = std::max(model_->max_id(), largest_added) + 1;
  added_ = std::make_unique<HfAddedTokens>(std::move(tokens), pipeline_->normalizer);
}

void HfTokenizer::read_config(const std::string& config_path) {
  const nlohmann::json document = read_json_file(config_path);
  const HfJson root(document, config_path);
  auto id_of = [&](const char* key) -> int64_t {
    const auto node = root.find(key);
    if (!node) return -1;
    const std::string name = node->is_string() ? node->str() : node->str("content");
    const auto id = token_to_id(name);
    if (!id) node->fail("'" + name + "' is not a token of " + path_);
    return *id;
  };
  specials_.bos = root.boolean_or("add_bos_token", true) ? id_of("bos_token") : -1;
  specials_.eos = id_of("eos_token");
  specials_.pad = id_of("pad_token");
  if (root.has("unk_token")) specials_.unk = id_of("unk_token");
}

std::optional<int64_t> HfTokenizer::token_to_id(const std::string& token) const {
  if (const auto* added = added_->by_content(token)) return added->id;
  return model_->token_to_id(token);
}

std::vector<int64_t> HfTokenizer::encode(const std::string& text, bool add_specials) const {
  const auto bad = utf8::first_invalid(text);
  if (bad != std::string::npos) fail("[tokenizer] ", path_, ": the text is not valid UTF-8 (byte ", bad, ")");
  std::vector<int64_t> ids;
  std::vector<HfPiece> pieces;
  for (auto& split : added_->split(text, pipeline_->normalizer)) {
    if (split.id >= 0) {
      ids.push_back(split.id);
      continue;
    }
    pieces.assign(1, {std::move(split.text), split.at_start});
    if (pipeline_->pre_tokenizer) pipeline_->pre_tokenizer(pieces);
    for (const auto& piece : pieces)
      if (!piece.text.empty()) model_->tokenize(piece.text, ids);
  }
  if (add_specials && pipeline_->post_processor) pipeline_->post_processor(ids);
  return ids;
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids, bool skip_specials) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    if (const auto* added = added_->by_id(id)) {
      if (!(skip_specials && added->special)) tokens.push_back(added->content);
    } else if (const auto* token = model_->id_to_token(id)) {
      if (!(skip_specials && added_->by_content(*token) && added_->by_content(*token)->special)) tokens.push_back(*token);
    }
  }
  if (pipeline_->decoder) pipeline_->decoder(tokens);
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) out += (i > 0 && !pipeline_->decoder ? " " : "") + tokens[i];
  return out;
}

}  // namespace vltune::language
