// vltune-sentencepiece: serves SentencePiece operations over stdin/stdout for vltune's Tokenizer
// (language/sentencepiece_protocol.h says what and why). It links SentencePiece and nothing else.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "language/sentencepiece_protocol.h"

namespace {

namespace spm = vltune::language::spm_protocol;

// The protocol channel: the original stdout, kept apart so that anything SentencePiece prints
// goes to stderr instead of corrupting the frames.
FILE* channel = nullptr;

bool read_exact(void* data, std::size_t size) { return std::fread(data, 1, size, stdin) == size; }

void reply(bool ok, const void* data, uint32_t size) {
  const uint8_t status = ok ? 1 : 0;
  std::fwrite(&status, 1, 1, channel);
  std::fwrite(&size, 4, 1, channel);
  if (size) std::fwrite(data, 1, size, channel);
  std::fflush(channel);
}
void reply_error(const std::string& message) { reply(false, message.data(), static_cast<uint32_t>(message.size())); }
void reply_ints(const std::vector<int32_t>& values) {
  reply(true, values.data(), static_cast<uint32_t>(values.size() * sizeof(int32_t)));
}

}  // namespace

int main() {
  channel = ::fdopen(::dup(STDOUT_FILENO), "w");
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  if (!channel) return 1;
  sentencepiece::SentencePieceProcessor processor;
  bool loaded = false;
  uint8_t op;
  while (read_exact(&op, 1)) {
    uint32_t size = 0;
    if (!read_exact(&size, 4)) return 1;
    std::string payload(size, '\0');
    if (size && !read_exact(payload.data(), size)) return 1;
    if (op != spm::kLoad && op != spm::kTrain && !loaded) {
      reply_error("no model loaded");
      continue;
    }
    switch (op) {
      case spm::kLoad: {
        const auto status = processor.Load(payload);
        if (!status.ok()) {
          reply_error(status.ToString());
          break;
        }
        loaded = true;
        reply_ints({processor.GetPieceSize(), processor.bos_id(), processor.eos_id(), processor.pad_id(), processor.unk_id()});
        break;
      }
      case spm::kEncode: {
        std::vector<int> ids;
        const auto status = processor.Encode(payload, &ids);
        status.ok() ? reply_ints({ids.begin(), ids.end()}) : reply_error(status.ToString());
        break;
      }
      case spm::kDecode: {
        std::vector<int> ids(size / sizeof(int32_t));
        std::memcpy(ids.data(), payload.data(), ids.size() * sizeof(int32_t));
        std::string text;
        const auto status = processor.Decode(ids, &text);
        status.ok() ? reply(true, text.data(), static_cast<uint32_t>(text.size())) : reply_error(status.ToString());
        break;
      }
      case spm::kPiece: {
        const int id = processor.PieceToId(payload);
        reply_ints({id == processor.unk_id() && processor.IdToPiece(id) != payload ? -1 : id});
        break;
      }
      case spm::kTrain: {
        const auto status = sentencepiece::SentencePieceTrainer::Train(payload);
        status.ok() ? reply(true, nullptr, 0) : reply_error(status.ToString());
        break;
      }
      default:
        reply_error("unknown operation");
    }
  }
  return 0;
}
