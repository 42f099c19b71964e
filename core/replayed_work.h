// Work that runs again and again on the same tensors, replayed as one CUDA graph on a GPU: the
// hundreds of small kernels of, say, every DoRA adapter's norm then cost one launch instead of one
// launch each, which is what a step bound by kernel launches needs.
//
// The work must write its results into tensors that exist before it runs (a graph replays into the
// memory it captured), read tensors whose storage stays where it is, and never wait for the host.
// `key` names that storage (the data pointers of every tensor read or written): when it changes
// (an optimizer moved the parameters into its arena, a model moved to another device), the old
// capture is dropped and the work is captured again.
//
// Builds without CUDA (core/replayed_work_direct.cpp), and work on the CPU, just run the work.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

namespace vltune {

class ReplayedWork {
 public:
  ReplayedWork();
  ~ReplayedWork();
  ReplayedWork(const ReplayedWork&) = delete;
  ReplayedWork& operator=(const ReplayedWork&) = delete;

  // Runs `work` on `device`. On CUDA the first call with a key runs it as is (a warm-up: cuBLAS
  // handles, the allocator's blocks), the second captures it and replays the capture, later calls
  // replay it.
  void run(const torch::Device& device, const std::vector<const void*>& key, const std::function<void()>& work);

  // How many times the work was captured (a test's window into the mechanism).
  int64_t captures() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vltune
