// Writes a file so that readers see either the old content or the complete new content: data
// goes to a temporary file in the same folder, is fsync'ed, then renamed over the target.
#pragma once
#include <cstddef>
#include <string>

namespace vltune {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // creates "<path>.tmp.XXXXXX"
  ~AtomicFile();                          // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(const std::string& text) { write(text.data(), text.size()); }
  void commit();  // fsync, rename over the target, fsync the folder

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Convenience for small text files (configs, JSON, reports).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace vltune
