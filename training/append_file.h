// A file that only grows: every write() appends its whole buffer with one O_APPEND write(2), so
// readers (tail -f, TensorBoard) see lines and records as soon as they are logged, and a crash
// leaves at most the last one torn. Used for metrics.jsonl and TensorBoard event files.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace vltune::training {

class AppendFile {
 public:
  // Opens (creating it if needed) `path`; `truncate` empties it first.
  AppendFile(std::string path, bool truncate);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void write(std::string_view bytes);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The whole content of `path`; throws naming the file when it cannot be read.
std::string read_file_bytes(const std::string& path);

// Cuts `path` to its first `size` bytes (drops a torn tail before appending again).
void truncate_file(const std::string& path, uint64_t size);

}  // namespace vltune::training
