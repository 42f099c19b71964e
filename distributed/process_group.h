// The processes of one distributed launch, as the trainer sees them: a rank, a world size and the
// few collectives training needs, on PyTorch's c10d (a TCPStore for the rendezvous, Gloo on the
// CPU, NCCL on CUDA). A default-constructed group is a world of one, where every collective is a
// no-op, so a run started without torchrun's or Slurm's environment trains exactly as before.
//
// Failure: each collective waits at most the group's timeout. When one fails (a peer died, threw,
// or hangs past the timeout), the survivors take a roll call on the store and throw an Error
// naming the ranks that did not answer, or the rank that reported an error and its message
// (report_failure), so no job hangs and the message says who stopped it.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distributed/launch_env.h"

namespace vltune::distributed {

class Backend;

struct GroupOptions {
  std::string backend = "auto";  // auto (NCCL for CUDA tensors, Gloo for the CPU), gloo or nccl
  torch::Device device = torch::kCPU;  // where the collectives' tensors live
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

class ProcessGroup {
 public:
  ProcessGroup();  // alone: rank 0 of 1
  // Joins the launch `env` describes: rank 0 serves a TCPStore at MASTER_ADDR:MASTER_PORT, every
  // rank connects to it within the timeout, then the backend is created over it.
  ProcessGroup(const LaunchEnv& env, const GroupOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_main() const { return rank_ == 0; }  // the rank that writes the run's files

  // Sums a contiguous `tensor` over the ranks, in place, on every rank (through the group's device).
  void sum(const torch::Tensor& tensor);
  // Every rank's `bytes`, in rank order.
  std::vector<std::string> all_gather(const std::string& bytes);
  void barrier();
  // Leaves `what` on the store for the other ranks' roll call (best effort: never throws).
  void report_failure(const std::string& what) noexcept;

 private:
  // Runs one collective; a failure becomes an Error naming the ranks that stopped the job.
  void collective(const char* what, const std::function<void(Backend&)>& call);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, size_ = 1;
};

// The group of this process: joined from launch_env() when it describes a launch, else alone.
std::unique_ptr<ProcessGroup> join_launch(const GroupOptions& options);

}  // namespace vltune::distributed
