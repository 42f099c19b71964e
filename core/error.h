// vltune's one exception type and a message builder. Messages follow "[area] subject: what is
// wrong; what was expected", naming the file, key or tensor involved.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace vltune {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenates anything streamable: cat("tensor ", name, " has ", n, " elements").
template <class... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw Error(cat(std::forward<Parts>(parts)...));
}

}  // namespace vltune
