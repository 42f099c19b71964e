#include "core/log.h"

#include <iostream>
#include <mutex>

namespace vltune {

namespace {
void emit(const char* level, const std::string& message) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::cerr << "vltune: " << level << ": " << message << std::endl;
}
}  // namespace

void log_warning(const std::string& message) { emit("warning", message); }
void log_info(const std::string& message) { emit("info", message); }

}  // namespace vltune
