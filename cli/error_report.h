// What `vltune` prints when a command fails: any exception as a message, never an abort.
// vltune::Error's message is printed as written (it names the file and the key or line; a recipe's
// list of problems spans lines on purpose); any other exception becomes one line that says what
// kind of failure it was. A signal is left for real bugs.
#pragma once
#include <exception>
#include <string>

namespace vltune::cli {

// The message for `error` (never empty; one line unless it is a vltune::Error).
std::string describe_exception(std::exception_ptr error);

// `text` on one line: newlines and tabs become spaces, runs of spaces one, and the ends trimmed.
std::string one_line(const std::string& text);

}  // namespace vltune::cli
