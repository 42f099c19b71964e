// ReplayedWork with CUDA graphs (core/replayed_work.h); built when LibTorch has CUDA.
#include "core/replayed_work.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

namespace vltune {

struct ReplayedWork::State {
  std::vector<const void*> key;
  bool warmed_up = false;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  int64_t captures = 0;
};

ReplayedWork::ReplayedWork() : state_(std::make_unique<State>()) {}
ReplayedWork::~ReplayedWork() = default;

int64_t ReplayedWork::captures() const { return state_->captures; }

void ReplayedWork::run(const torch::Device& device, const std::vector<const void*>& key, const std::function<void()>& work) {
  if (!device.is_cuda()) return work();
  auto& s = *state_;
  if (key != s.key) {
    s.graph.reset();
    s.key = key;
    s.warmed_up = false;
  }
  if (s.graph) return s.graph->replay();
  if (!s.warmed_up) {
    work();
    s.warmed_up = true;
    return;
  }
  // Capture on a side stream (a graph cannot be captured on the default one), after everything
  // queued so far has finished; the capture only records, so the graph then runs once for real on
  // the current stream, in order with what follows.
  c10::cuda::CUDAGuard device_guard(device);
  c10::cuda::device_synchronize();
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  {
    c10::cuda::CUDAStreamGuard stream_guard(c10::cuda::getStreamFromPool(false, device.index()));
    graph->capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    work();
    graph->capture_end();
  }
  s.graph = std::move(graph);
  ++s.captures;
  s.graph->replay();
}

}  // namespace vltune
