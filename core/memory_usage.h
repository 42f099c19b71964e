// Peak memory of a stretch of work, for reports that compare runs in one process: on an
// accelerator the caching allocator's peak of allocated bytes; on the CPU the process' peak
// resident set (VmHWM), which Linux lets a process reset (writing 5 to /proc/self/clear_refs).
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace vltune {

void reset_peak_memory(const torch::Device& device);
int64_t peak_memory_bytes(const torch::Device& device);

}  // namespace vltune
