// The pipe protocol between vltune and `vltune-sentencepiece`, the small program that runs
// SentencePiece in a process of its own.
//
// Why a process: Debian's libsentencepiece carries its own protobuf (3.14) and LibTorch links
// libprotobuf 3.21. In one process one of them binds to the other's protobuf: linked after
// LibTorch, SentencePiece fails its protobuf version check; linked before, LibTorch crashes at
// start-up; opened with RTLD_DEEPBIND it crashes on the first iostream use (copy relocations).
//
// Frames, both ways: 1 byte (request: the operation; reply: 1 = ok, 0 = error), a little-endian
// uint32 payload length, the payload. Error replies carry the message as their payload.
#pragma once
#include <cstdint>

namespace vltune::language::spm_protocol {

enum Op : uint8_t {
  kLoad = 'L',    // payload: model path          -> int32 vocab size, bos, eos, pad, unk
  kEncode = 'E',  // payload: UTF-8 text          -> int32 ids
  kDecode = 'D',  // payload: int32 ids           -> UTF-8 text
  kPiece = 'P',   // payload: a piece             -> int32 id, or -1 when it is not in the vocabulary
  kTrain = 'T',   // payload: trainer arguments   -> empty
};

}  // namespace vltune::language::spm_protocol
