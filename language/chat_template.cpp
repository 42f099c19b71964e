#include "language/chat_template.h"

#include <algorithm>
#include <tuple>

#include "core/error.h"

namespace vltune::language {

namespace {

const std::string kLlavaSystem =
    "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, "
    "and polite answers to the human's questions.";
const std::string kChatmlSystem = "You are a helpful assistant.";

struct Exchange {
  std::string question, answer;
};

// Splits turns into an optional system text and user/assistant exchanges, checking their order.
std::pair<std::optional<std::string>, std::vector<Exchange>> exchanges_of(const std::vector<Turn>& turns,
                                                                          const std::string& where) {
  std::optional<std::string> system;
  std::vector<Exchange> out;
  std::size_t i = 0;
  if (i < turns.size() && turns[i].role == Role::kSystem) system = turns[i++].text;
  for (; i < turns.size(); i += 2) {
    if (turns[i].role != Role::kUser) fail(where, ": turn ", i + 1, " should come from the user");
    if (i + 1 >= turns.size() || turns[i + 1].role != Role::kAssistant)
      fail(where, ": turn ", i + 2, " should be the assistant's answer (a conversation ends with an answer)");
    out.push_back({turns[i].text, turns[i + 1].text});
  }
  if (out.empty()) fail(where, ": the conversation has no question and answer");
  return {system, out};
}

TemplatePiece text(std::string t, bool trains = false) { return {std::move(t), -1, trains}; }
TemplatePiece special(int64_t id, bool trains = false) { return {"", id, trains}; }

// A template's marker ("<|im_start|>"): the tokenizer's own token when its vocabulary has one,
// otherwise the marker's text.
TemplatePiece marker(const Tokenizer& tokenizer, const std::string& name, bool trains = false) {
  const int64_t id = tokenizer.piece_id(name);
  return id >= 0 ? special(id, trains) : text(name, trains);
}

// Appends a group of pieces, joining neighbouring texts of the same kind into one piece.
void append_group(std::vector<TemplatePiece>& pieces, const std::vector<TemplatePiece>& group) {
  const std::size_t first = pieces.size();
  for (const auto& piece : group) {
    const bool joins = pieces.size() > first && piece.special_id < 0 && pieces.back().special_id < 0 &&
                       pieces.back().trains == piece.trains;
    if (joins)
      pieces.back().text += piece.text;
    else
      pieces.push_back(piece);
  }
}

// The ids one <image> (or <video>) placeholder expands to: the `index`-th of its kind.
std::vector<int64_t> placeholder_ids(bool is_image, int64_t index, const EncodeOptions& options, const std::string& where) {
  const char* name = is_image ? "<image>" : "<video>";
  const auto& counts = is_image ? options.image_token_counts : options.video_token_counts;
  int64_t count = is_image ? options.tokens_per_image : options.tokens_per_video;
  if (options.counted_placeholders) {
    if (index >= static_cast<int64_t>(counts.size()))
      fail(where, ": the text holds more ", name, " placeholders than the sample has ", is_image ? "images" : "videos",
           " (", counts.size(), ")");
    count = counts[index];
  }
  const int64_t token = !is_image && options.video_token_id >= 0 ? options.video_token_id : options.visual_token_id;
  if (count <= 0 || token < 0) fail(where, ": the text holds ", name, " but the model takes no such input");
  std::vector<int64_t> ids;
  if (options.open_id >= 0) ids.push_back(options.open_id);
  ids.insert(ids.end(), count, token);
  if (options.close_id >= 0) ids.push_back(options.close_id);
  return ids;
}

void check_placeholder_counts(const EncodedConversation& out, const EncodeOptions& options, const std::string& where) {
  for (const auto& [name, found, counts] :
       {std::tuple<const char*, int64_t, const std::vector<int64_t>*>{"image", out.images, &options.image_token_counts},
        {"video", out.videos, &options.video_token_counts}})
    if (options.counted_placeholders && found != static_cast<int64_t>(counts->size()))
      fail(where, ": the sample has ", counts->size(), " ", name, counts->size() == 1 ? "" : "s", " but its text holds ", found,
           " <", name, "> placeholder", found == 1 ? "" : "s");
}

}  // namespace

const std::vector<std::string>& chat_template_names() {
  static const std::vector<std::string> names = {"plain", "llava_v1", "llama2", "chatml"};
  return names;
}

void check_chat_template(const std::string& name, const std::string& where) {
  const auto& names = chat_template_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return;
  fail(where, ": unknown chat template '", name, "' (expected plain, llava_v1, llama2 or chatml)");
}

std::vector<TemplatePiece> render_chat(const std::string& name, const std::vector<Turn>& turns,
                                       const Tokenizer& tokenizer, const std::string& where) {
  check_chat_template(name, where);
  const auto [system, rounds] = exchanges_of(turns, where);
  const int64_t bos = tokenizer.bos_id(), eos = tokenizer.eos_id();
  std::vector<TemplatePiece> pieces;
  if (name == "plain") {
    if (bos >= 0) pieces.push_back(special(bos));
    for (const auto& r : rounds) {
      pieces.push_back(text(r.question + "\n"));
      pieces.push_back(text(r.answer, true));
      pieces.push_back(special(eos, true));
    }
  } else if (name == "llava_v1") {
    if (bos >= 0) pieces.push_back(special(bos));
    std::string prompt = system.value_or(kLlavaSystem) + " ";
    for (const auto& r : rounds) {
      pieces.push_back(text(prompt + "USER: " + r.question + " ASSISTANT:"));
      pieces.push_back(text(r.answer, true));
      pieces.push_back(special(eos, true));
      prompt.clear();
    }
  } else if (name == "llama2") {
    bool first = true;
    for (const auto& r : rounds) {
      if (bos >= 0) pieces.push_back(special(bos));
      std::string question = r.question;
      if (first && system) question = "<<SYS>>\n" + *system + "\n<</SYS>>\n\n" + question;
      pieces.push_back(text("[INST] " + question + " [/INST]"));
      pieces.push_back(text(r.answer + " ", true));
      pieces.push_back(special(eos, true));
      first = false;
    }
  } else {  // chatml
    const auto start = marker(tokenizer, "<|im_start|>"), end = marker(tokenizer, "<|im_end|>");
    append_group(pieces, {start, text("system\n" + system.value_or(kChatmlSystem)), end, text("\n")});
    for (const auto& r : rounds) {
      append_group(pieces, {start, text("user\n" + r.question), end, text("\n"), start, text("assistant\n")});
      append_group(pieces, {text(r.answer, true), marker(tokenizer, "<|im_end|>", true)});
      append_group(pieces, {text("\n")});
    }
  }
  return pieces;
}

std::vector<TemplatePiece> generation_prompt(const std::vector<TemplatePiece>& pieces) {
  // The last answer is the last run of trained pieces (its text and its end marker).
  auto end = std::find_if(pieces.rbegin(), pieces.rend(), [](const TemplatePiece& p) { return p.trains; });
  if (end == pieces.rend()) fail("[template] the conversation has no answer to generate");
  auto start = std::find_if(end, pieces.rend(), [](const TemplatePiece& p) { return !p.trains; });
  return {pieces.begin(), start.base()};
}

std::optional<EncodedConversation> encode_chat(const std::vector<TemplatePiece>& pieces, const Tokenizer& tokenizer,
                                               const EncodeOptions& options, const std::string& where, std::string* why) {
  EncodedConversation out;
  auto append = [&](const std::vector<int64_t>& ids, bool trains) {
    out.input_ids.insert(out.input_ids.end(), ids.begin(), ids.end());
    for (int64_t id : ids) out.labels.push_back(trains ? id : -100);
  };
  int64_t last_visual_end = 0;
  for (const auto& piece : pieces) {
    if (piece.special_id >= 0) {
      append({piece.special_id}, piece.trains);
      continue;
    }
    // Split the text around <image> / <video> placeholders.
    std::size_t start = 0;
    while (start <= piece.text.size()) {
      const auto image = piece.text.find("<image>", start), video = piece.text.find("<video>", start);
      const auto next = std::min(image, video);
      const auto chunk = piece.text.substr(start, next == std::string::npos ? std::string::npos : next - start);
      if (!chunk.empty()) append(tokenizer.encode(chunk), piece.trains);
      if (next == std::string::npos) break;
      if (piece.trains) fail(where, ": a visual placeholder appears in an answer, where nothing can see it");
      const bool is_image = next == image;
      append(placeholder_ids(is_image, is_image ? out.images : out.videos, options, where), false);
      (is_image ? out.images : out.videos) += 1;
      last_visual_end = static_cast<int64_t>(out.input_ids.size());
      start = next + 7;  // both placeholders are 7 characters long
    }
  }
  check_placeholder_counts(out, options, where);
  if (static_cast<int64_t>(out.input_ids.size()) <= options.max_length) return out;

  std::string problem;
  if (last_visual_end > options.max_length)
    problem = cat("its ", out.input_ids.size(), " tokens exceed max_length ", options.max_length,
                  " and cutting would remove visual tokens (they end at ", last_visual_end, ")");
  out.input_ids.resize(options.max_length);
  out.labels.resize(options.max_length);
  if (problem.empty() && std::all_of(out.labels.begin(), out.labels.end(), [](int64_t l) { return l == -100; }))
    problem = cat("cut to max_length ", options.max_length, " it has no answer token left to train on");
  if (problem.empty()) return out;
  if (options.truncation == TruncationPolicy::kError) fail(where, ": ", problem);
  if (why) *why = problem;
  return std::nullopt;
}

}  // namespace vltune::language
