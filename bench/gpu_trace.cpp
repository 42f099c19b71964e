#include "bench/gpu_trace.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <iostream>
#include <set>

// The C++ profiler API (torch/csrc/autograd/profiler_kineto.h) took its present form in LibTorch 2;
// benches only, so this one version test lives here rather than in core/torch_compat.h.
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/autograd/profiler_kineto.h>
#define VLTUNE_HAS_KINETO_API 1
#endif

namespace vltune::bench {

bool trace_steps(const std::function<void()>& step, int count, const std::string& path) {
#ifdef VLTUNE_HAS_KINETO_API
  namespace profiler = torch::autograd::profiler;
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
  const std::set<torch::profiler::impl::ActivityType> activities{torch::profiler::impl::ActivityType::CPU,
                                                                  torch::profiler::impl::ActivityType::CUDA};
  torch::cuda::synchronize();
  profiler::prepareProfiler(config, activities);
  profiler::enableProfiler(config, activities);
  for (int i = 0; i < count; ++i) step();
  torch::cuda::synchronize();
  profiler::disableProfiler()->save(path);
  return true;
#else
  (void)step;
  (void)count;
  std::cerr << "trace_steps: LibTorch " << TORCH_VERSION << " has no C++ profiler API here; " << path << " not written\n";
  return false;
#endif
}

}  // namespace vltune::bench
