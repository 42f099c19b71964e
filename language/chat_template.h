// Chat templates and the token sequences they produce, with the labels that train.
//
// A template renders a conversation into pieces, each text or a special id, each trainable or not;
// pieces are tokenized one by one, so what trains is exactly the assistant's answers (and the end
// marker that closes each one). `<image>` and `<video>` in user text become runs of the model's
// visual token, which never train.
//
//   plain     <s> {user}\n {answer}</s>                                          (captioning)
//   llava_v1  <s> {system} USER: {q} ASSISTANT: {a}</s> USER: ... ASSISTANT: {a2}</s>
//   llama2    <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{q} [/INST] {a} </s><s>[INST] {q2} [/INST] ...
//   chatml    <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n
//             <|im_start|>assistant\n{a}<|im_end|>\n ...
//             (<|im_start|> and <|im_end|> are the tokenizer's own special tokens when its
//             vocabulary has them, as Qwen's tokenizer.json does; otherwise text)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "language/tokenizer.h"

namespace vltune::language {

enum class Role { kSystem, kUser, kAssistant };

struct Turn {
  Role role;
  std::string text;
};

struct TemplatePiece {
  std::string text;        // tokenized when special_id < 0
  int64_t special_id = -1;  // a token id placed as is (BOS, EOS)
  bool trains = false;
};

const std::vector<std::string>& chat_template_names();  // plain, llava_v1, llama2, chatml
void check_chat_template(const std::string& name, const std::string& where);  // throws listing names

// The pieces a conversation renders to. The system text defaults to the template's own; a
// conversation must alternate user and assistant turns (after an optional system turn) and end
// with the assistant. `where` names the sample in errors.
std::vector<TemplatePiece> render_chat(const std::string& template_name, const std::vector<Turn>& turns,
                                       const Tokenizer& tokenizer, const std::string& where);

// What a model is given to produce the conversation's last answer: the pieces before it, i.e. up to
// and including the assistant prefix of the last turn ("... ASSISTANT:", "[/INST]",
// "<|im_start|>assistant\n").
std::vector<TemplatePiece> generation_prompt(const std::vector<TemplatePiece>& pieces);

enum class TruncationPolicy { kDrop, kError };

// How <image> and <video> expand. A fixed-size model (LLaVA) gives every image tokens_per_image
// visual tokens; a model whose images keep their size (Qwen2-VL) gives each placeholder its own
// count, in text order, and may wrap each run in an opening and a closing id:
//   <image>  ->  [open_id] visual_token_id x count [close_id]
struct EncodeOptions {
  int64_t visual_token_id = -1;    // the model's image_token_index
  int64_t tokens_per_image = 0;
  int64_t tokens_per_video = 0;
  int64_t max_length = 2048;
  TruncationPolicy truncation = TruncationPolicy::kDrop;
  // Added after the first five fields, so that positional initialisers keep their meaning:
  int64_t video_token_id = -1;          // the token of <video> runs; -1: visual_token_id
  int64_t open_id = -1, close_id = -1;  // ids placed around each run (-1: none)
  // With counted_placeholders, the count of the k-th <image> (<video>) is image_token_counts[k]
  // (video_token_counts[k]), and the text must hold exactly as many placeholders as there are counts.
  bool counted_placeholders = false;
  std::vector<int64_t> image_token_counts{}, video_token_counts{};
};

struct EncodedConversation {
  std::vector<int64_t> input_ids;
  std::vector<int64_t> labels;  // -100 where nothing trains
  int64_t images = 0;           // <image> placeholders expanded
  int64_t videos = 0;
};

// Tokenizes the rendered pieces, expands visual placeholders and masks labels. A sequence longer
// than max_length is cut at the end, unless the cut would remove visual tokens or leave nothing
// to train: then the policy drops it (nullopt, with `why`) or throws. `where` names the sample.
std::optional<EncodedConversation> encode_chat(const std::vector<TemplatePiece>& pieces, const Tokenizer& tokenizer,
                                               const EncodeOptions& options, const std::string& where,
                                               std::string* why = nullptr);

}  // namespace vltune::language
