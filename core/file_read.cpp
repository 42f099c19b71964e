#include "core/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace vltune {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

namespace fs = std::filesystem;

bool is_within(const fs::path& path, const fs::path& root) {
  return std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first == root.end();
}

[[noreturn]] void refuse(const std::string& area, const std::string& path, mode_t mode) {
  fail(area, " ", path, ": is ", kind_of(mode), ", expected a regular file");
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

uint64_t require_regular_file(const std::string& path, const std::string& area) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(area, " ", path, ": cannot open: ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) refuse(area, path, st.st_mode);
  return static_cast<uint64_t>(st.st_size);
}

std::string read_file_limited(const std::string& path, uint64_t max_bytes, const std::string& area) {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
  const Fd file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) fail(area, " ", path, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail(area, " ", path, ": cannot stat: ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) refuse(area, path, st.st_mode);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) fail(area, " ", path, ": is ", size, " bytes, more than the ", max_bytes, "-byte limit for this file");
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(file.fd, text.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(area, " ", path, ": cannot read: ", std::strerror(errno));
    if (n == 0) break;  // the file shrank while being read
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

std::string file_inside(const std::string& folder, const std::string& name, const std::string& where) {
  const fs::path path = fs::path(folder) / name;
  if (name.empty() || name == "." || name == ".." || fs::path(name).has_parent_path() || name.find('\0') != std::string::npos)
    fail(where, ": '", name, "' must be a file name inside ", folder);
  std::error_code error;
  const fs::path root = fs::canonical(folder, error);
  if (error) fail(where, ": cannot resolve the folder ", folder, ": ", error.message());
  const fs::path real = fs::canonical(path, error);
  if (error) fail(where, ": ", path.string(), " does not exist or cannot be resolved: ", error.message());
  const bool hub_snapshot = root.parent_path().filename() == "snapshots";
  if (!is_within(real, root) && !(hub_snapshot && is_within(real, root.parent_path().parent_path() / "blobs")))
    fail(where, ": ", path.string(), " resolves to ", real.string(), ", outside ", folder,
         " (files an index names must stay inside its folder)");
  return path.string();
}

}  // namespace vltune
