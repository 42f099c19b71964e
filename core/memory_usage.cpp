#include "core/memory_usage.h"

#include <fstream>
#include <string>

#include "core/torch_compat.h"

namespace vltune {

void reset_peak_memory(const torch::Device& device) {
  if (!device.is_cpu()) return compat::reset_peak_device_allocated_bytes(device);
  std::ofstream("/proc/self/clear_refs") << "5";  // harmless where unsupported: the peak then covers the whole process
}

int64_t peak_memory_bytes(const torch::Device& device) {
  if (!device.is_cpu()) return compat::peak_device_allocated_bytes(device).value_or(0);
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:   123456 kB"
  return 0;
}

}  // namespace vltune
