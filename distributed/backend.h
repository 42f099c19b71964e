// The c10d backends vltune can create, behind one small interface (the backend .cpp files are
// chosen in distributed/CMakeLists.txt: Gloo where its headers are, NCCL where LibTorch has CUDA;
// the others are stubs that throw a clear error).
#pragma once
#include <torch/torch.h>

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace vltune::distributed {

class Backend {
 public:
  virtual ~Backend() = default;
  // Each call blocks until the collective finished on this rank, or throws (a peer lost, the timeout).
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  virtual void all_gather(std::vector<std::vector<torch::Tensor>>& outputs, std::vector<torch::Tensor>& inputs) = 0;
  virtual void barrier() = 0;
};

std::unique_ptr<Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout);
std::unique_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout);

// Wraps a c10d process group or backend (ProcessGroupGloo derives from ProcessGroup in LibTorch
// 1.13 and from c10d::Backend in 2.x; the calls used here are the same in both).
template <class Group>
class C10dBackend : public Backend {
 public:
  explicit C10dBackend(c10::intrusive_ptr<Group> group) : group_(std::move(group)) {}
  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override { group_->allreduce(tensors)->wait(); }
  void all_gather(std::vector<std::vector<torch::Tensor>>& outputs, std::vector<torch::Tensor>& inputs) override {
    group_->allgather(outputs, inputs)->wait();
  }
  void barrier() override { group_->barrier()->wait(); }

 private:
  c10::intrusive_ptr<Group> group_;
};

}  // namespace vltune::distributed
