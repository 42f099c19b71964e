// A Kineto trace of a few training steps, for bench/gpu_profile.sh: the same trace PyTorch's
// profiler writes (Chrome trace JSON: each CUDA kernel with its duration, each ATen op on the host).
// LibTorch 2.x only (the GPU machine's); an older LibTorch says so and writes nothing.
#pragma once
#include <functional>
#include <string>

namespace vltune::bench {

// Runs `step` `count` times under the profiler (CPU ops and CUDA kernels) and saves the trace at `path`.
// Returns false, after saying why, where this LibTorch cannot profile.
bool trace_steps(const std::function<void()>& step, int count, const std::string& path);

}  // namespace vltune::bench
