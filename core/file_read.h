// Reading untrusted files safely: a file is opened without blocking and checked with fstat before
// a byte is read, so a FIFO, device, socket or directory given where a file belongs is refused
// with an error instead of blocking forever or being read without end; whole-file reads are
// bounded. Torch-free.
#pragma once
#include <cstdint>
#include <string>

namespace vltune {

// Bounds on files read whole into memory.
inline constexpr uint64_t kMaxConfigFileBytes = 16ull << 20;  // config.json, adapter_config.json, indexes
inline constexpr uint64_t kMaxDataFileBytes = 1ull << 30;     // dataset annotations, media cache indexes

// Throws "<area> <path>: <why>" unless `path` names a regular file (symlinks followed). Use before
// handing a path to a library that opens it itself (FFmpeg, SentencePiece). Returns its size.
uint64_t require_regular_file(const std::string& path, const std::string& area);

// The whole content of the regular file `path`, refused when it is larger than `max_bytes`.
// Throws naming `area` and the file.
std::string read_file_limited(const std::string& path, uint64_t max_bytes, const std::string& area);

// `folder`/`name` for a file that an index inside `folder` names (a checkpoint shard, a media
// cache shard), once checked to stay there: `name` must be a plain file name whose real path,
// symlinks resolved, lies inside the folder, or inside the hub cache's blobs/ when the folder is
// a Hugging Face hub snapshot (snapshots/<revision>/, whose files link to ../../blobs/).
// Throws "<where>: ..." naming the file otherwise.
std::string file_inside(const std::string& folder, const std::string& name, const std::string& where);

}  // namespace vltune
