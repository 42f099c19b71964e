// language/: a SentencePiece tokenizer trained inside the test, and the chat templates' exact token
// ids and label masks against hand-worked expectations.
#include <algorithm>
#include <fstream>

#include "language/chat_template.h"
#include "language/tokenizer.h"
#include "test_support.h"

namespace vltune::language {
namespace {

using test::expect_error;

// A tokenizer trained once for the suite on generated sentences.
const Tokenizer& tokenizer() {
  static test::TempDir dir;
  static const Tokenizer trained = [] {
    std::ofstream text(dir.file("corpus.txt"));
    const char* items[] = {"shoe", "shirt", "bag", "coat", "dress", "sandal", "sneaker", "trouser", "pullover", "boot"};
    const char* colours[] = {"red", "blue", "green", "black", "white", "grey"};
    for (const char* item : items)
      for (const char* colour : colours)
        text << "A chat about a " << colour << " " << item << ". USER: What is it? ASSISTANT: It is a " << item
             << ".\n[INST] Describe the " << item << " [/INST] A " << colour << " " << item << " </s>\n";
    text.close();
    train_tokenizer({dir.file("corpus.txt"), dir.file("tok"), 400, "bpe", {"<image>", "<video>"}});
    return Tokenizer::load(dir.file("tok.model"));
  }();
  return trained;
}

std::vector<int64_t> concat(std::initializer_list<std::vector<int64_t>> parts) {
  std::vector<int64_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}
std::vector<int64_t> masked(const std::vector<int64_t>& ids) { return std::vector<int64_t>(ids.size(), -100); }

TEST(Tokenizer, TrainsEncodesAndDecodes) {
  const auto& tok = tokenizer();
  EXPECT_EQ(tok.vocab_size(), 400);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_EQ(tok.pad_id(), 3);
  EXPECT_GE(tok.piece_id("<image>"), 4);
  EXPECT_EQ(tok.piece_id("no-such-piece"), -1);
  const auto ids = tok.encode("a red shoe\nand a blue bag");
  EXPECT_EQ(tok.decode(ids), "a red shoe\nand a blue bag");
  expect_error([&] { tok.decode({100000}); }, {"outside the vocabulary"});
  expect_error([] { Tokenizer::load("/nonexistent/tokenizer.model"); }, {"/nonexistent/tokenizer.model", "no such file"});
  expect_error([] { Tokenizer::from_model_dir(VLTUNE_TEST_DATA); }, {"no tokenizer.json or tokenizer.model", "vltune tokenizer train"});
}

TEST(ChatTemplate, LlavaV1WithAnImage) {
  const auto& tok = tokenizer();
  const std::vector<Turn> turns = {{Role::kUser, "<image>\nWhat is it?"}, {Role::kAssistant, "It is a shoe."}};
  EncodeOptions options{/*visual_token_id=*/999, /*tokens_per_image=*/3};
  const auto encoded = encode_chat(render_chat("llava_v1", turns, tok, "s1"), tok, options, "s1");
  ASSERT_TRUE(encoded);
  const auto system = tok.encode(
      "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, "
      "and polite answers to the human's questions. USER: ");
  const auto question = tok.encode("\nWhat is it? ASSISTANT:");
  const auto answer = tok.encode("It is a shoe.");
  const std::vector<int64_t> image(3, 999);
  EXPECT_EQ(encoded->input_ids, concat({{1}, system, image, question, answer, {2}}));
  EXPECT_EQ(encoded->labels, concat({{-100}, masked(system), masked(image), masked(question), answer, {2}}));
  EXPECT_EQ(encoded->images, 1);
}

TEST(ChatTemplate, TwoRoundsOfLlama2AndChatml) {
  const auto& tok = tokenizer();
  const std::vector<Turn> turns = {{Role::kSystem, "Be brief."}, {Role::kUser, "Colour?"}, {Role::kAssistant, "Red."},
                                   {Role::kUser, "Item?"},       {Role::kAssistant, "Boot."}};
  EncodeOptions options;
  const auto llama2 = encode_chat(render_chat("llama2", turns, tok, "s2"), tok, options, "s2");
  ASSERT_TRUE(llama2);
  const auto q1 = tok.encode("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nColour? [/INST]"), a1 = tok.encode("Red. ");
  const auto q2 = tok.encode("[INST] Item? [/INST]"), a2 = tok.encode("Boot. ");
  EXPECT_EQ(llama2->input_ids, concat({{1}, q1, a1, {2}, {1}, q2, a2, {2}}));
  EXPECT_EQ(llama2->labels, concat({{-100}, masked(q1), a1, {2}, {-100}, masked(q2), a2, {2}}));

  const auto chatml = encode_chat(render_chat("chatml", turns, tok, "s3"), tok, options, "s3");
  ASSERT_TRUE(chatml);
  const auto head = tok.encode("<|im_start|>system\nBe brief.<|im_end|>\n");
  const auto u1 = tok.encode("<|im_start|>user\nColour?<|im_end|>\n<|im_start|>assistant\n");
  const auto r1 = tok.encode("Red.<|im_end|>"), nl = tok.encode("\n");
  const auto u2 = tok.encode("<|im_start|>user\nItem?<|im_end|>\n<|im_start|>assistant\n");
  const auto r2 = tok.encode("Boot.<|im_end|>");
  EXPECT_EQ(chatml->input_ids, concat({head, u1, r1, nl, u2, r2, nl}));
  EXPECT_EQ(chatml->labels, concat({masked(head), masked(u1), r1, masked(nl), masked(u2), r2, masked(nl)}));
}

TEST(ChatTemplate, PlainCaptionWithVideo) {
  const auto& tok = tokenizer();
  EncodeOptions options{999, 3, /*tokens_per_video=*/5};
  const auto encoded =
      encode_chat(render_chat("plain", {{Role::kUser, "<video>"}, {Role::kAssistant, "a red square moves left"}}, tok, "v"),
                  tok, options, "v");
  ASSERT_TRUE(encoded);
  const auto nl = tok.encode("\n"), caption = tok.encode("a red square moves left");
  const std::vector<int64_t> video(5, 999);
  EXPECT_EQ(encoded->input_ids, concat({{1}, video, nl, caption, {2}}));
  EXPECT_EQ(encoded->labels, concat({{-100}, masked(video), masked(nl), caption, {2}}));
  EXPECT_EQ(encoded->videos, 1);
}

// Issue 18: a model whose images keep their size (Qwen2-VL) gives each placeholder its own count,
// wrapped in its vision start / end ids, and videos their own token; the counts must match the text.
TEST(ChatTemplate, CountedPlaceholdersTakeTheirOwnCountsAndAreWrapped) {
  const auto& tok = tokenizer();
  const std::vector<Turn> turns = {{Role::kUser, "<image> and <video> and <image>"}, {Role::kAssistant, "a coat"}};
  const auto pieces = render_chat("plain", turns, tok, "t");
  EncodeOptions options;
  options.visual_token_id = 999;
  options.video_token_id = 998;
  options.open_id = 996;
  options.close_id = 997;
  options.counted_placeholders = true;
  options.image_token_counts = {2, 3};
  options.video_token_counts = {1};
  const auto encoded = encode_chat(pieces, tok, options, "t");
  ASSERT_TRUE(encoded);
  std::vector<int64_t> visual;  // the ids from the first opening id to the last closing one
  const auto& ids = encoded->input_ids;
  const auto first = std::find(ids.begin(), ids.end(), 996);
  const auto last = std::find(ids.rbegin(), ids.rend(), 997).base();
  for (auto it = first; it < last; ++it)
    if (*it >= 996) visual.push_back(*it);
  EXPECT_EQ(visual, (std::vector<int64_t>{996, 999, 999, 997, 996, 998, 997, 996, 999, 999, 999, 997}));
  EXPECT_EQ(encoded->images, 2);
  EXPECT_EQ(encoded->videos, 1);
  options.image_token_counts = {2};
  expect_error([&] { encode_chat(pieces, tok, options, "t"); },
               {"t: the text holds more <image> placeholders than the sample has images (1)"});
  options.image_token_counts = {2, 3, 4};
  expect_error([&] { encode_chat(pieces, tok, options, "t"); },
               {"t: the sample has 3 images but its text holds 2 <image> placeholders"});
}

TEST(ChatTemplate, TruncationNeverCutsVisualTokensSilently) {
  const auto& tok = tokenizer();
  const std::vector<Turn> turns = {{Role::kUser, "<image>"}, {Role::kAssistant, "a grey coat and a white bag"}};
  const auto pieces = render_chat("plain", turns, tok, "t");
  EncodeOptions options{999, 10};
  options.max_length = 6;  // BOS + 10 visual tokens do not fit
  std::string why;
  EXPECT_FALSE(encode_chat(pieces, tok, options, "t", &why));
  EXPECT_THAT(why, HasSubstr("would remove visual tokens"));
  options.truncation = TruncationPolicy::kError;
  expect_error([&] { encode_chat(pieces, tok, options, "sample 7"); }, {"sample 7", "would remove visual tokens"});
  options.max_length = 14;  // visual tokens fit; the answer is cut but some of it trains
  const auto cut = encode_chat(pieces, tok, options, "t");
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->input_ids.size(), 14u);
  options.max_length = 12;  // only BOS, visuals and "\n" fit: nothing left to train
  options.truncation = TruncationPolicy::kDrop;
  EXPECT_FALSE(encode_chat(pieces, tok, options, "t", &why));
  EXPECT_THAT(why, HasSubstr("no answer token left"));
}

TEST(ChatTemplate, BadConversationsAreNamed) {
  const auto& tok = tokenizer();
  expect_error([&] { render_chat("vicuna", {}, tok, "s9"); }, {"s9", "unknown chat template 'vicuna'", "chatml"});
  expect_error([&] { render_chat("plain", {{Role::kUser, "q"}}, tok, "s9"); }, {"s9", "turn 2", "assistant's answer"});
  expect_error([&] { render_chat("plain", {{Role::kAssistant, "a"}}, tok, "s9"); }, {"turn 1 should come from the user"});
  expect_error([&] { encode_chat(render_chat("plain", {{Role::kUser, "<image>"}, {Role::kAssistant, "a"}}, tok, "s"), tok, {}, "s"); },
               {"holds <image> but the model takes no such input"});
}

}  // namespace
}  // namespace vltune::language
