// Console messages for people running vltune: one line each, to stderr, "vltune: <level>: <text>".
// Thread-safe: lines from loader workers never interleave.
#pragma once
#include <string>

namespace vltune {

void log_warning(const std::string& message);
void log_info(const std::string& message);

}  // namespace vltune
