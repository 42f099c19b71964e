#include "distributed/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "distributed/backend.h"
#include "distributed/roll_call.h"

namespace vltune::distributed {

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  std::unique_ptr<Backend> backend;
  std::string where;  // "MASTER_ADDR:MASTER_PORT", for messages
  torch::Device device = torch::kCPU;  // where the backend takes tensors (NCCL: the rank's GPU)
  std::chrono::milliseconds timeout{0};
  bool failed = false;
};

namespace {

std::string backend_name(const GroupOptions& options) {
  if (options.backend == "auto") return options.device.is_cuda() ? "nccl" : "gloo";
  if (options.backend != "gloo" && options.backend != "nccl")
    fail("[distributed] unknown backend '", options.backend, "' (expected auto, gloo or nccl)");
  return options.backend;
}

}  // namespace

ProcessGroup::ProcessGroup() = default;
ProcessGroup::~ProcessGroup() = default;

ProcessGroup::ProcessGroup(const LaunchEnv& env, const GroupOptions& options)
    : impl_(std::make_unique<Impl>()), rank_(env.rank), size_(env.world_size) {
  impl_->where = cat(env.master_addr, ":", env.master_port);
  impl_->timeout = options.timeout;
  impl_->device = options.device;
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(env.master_port);
  store_options.isServer = env.rank == 0 && !env.launcher_serves_store;
  store_options.numWorkers = static_cast<std::size_t>(env.world_size);
  store_options.waitWorkers = true;
  store_options.timeout = options.timeout;
  const auto backend = backend_name(options);
  try {
    // vltune's keys (Gloo's too) apart from a launcher's, and from an earlier attempt's
    impl_->store = c10::make_intrusive<c10d::PrefixStore>(cat("vltune/", env.attempt),
                                                          c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options));
    impl_->backend = backend == "nccl" ? make_nccl_backend(impl_->store, rank_, size_, options.timeout)
                                       : make_gloo_backend(impl_->store, rank_, size_, options.timeout);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("[distributed] rank ", rank_, " of ", size_, " (", env.source, "): could not join the others through the store at ",
         impl_->where, " within ", options.timeout.count() / 1000.0, " s: ", first_line(e.what()));
  }
  log_info(cat("distributed: rank ", rank_, " of ", size_, " (local rank ", env.local_rank, ", ", env.source, "), ", backend,
               " over the store at ", impl_->where));
}

void ProcessGroup::collective(const char* what, const std::function<void(Backend&)>& call) {
  try {
    call(*impl_->backend);
  } catch (const std::exception& e) {
    impl_->failed = true;
    const auto cause = first_line(e.what());
    const auto verdict = roll_call(*impl_->store, rank_, size_, std::min(impl_->timeout, kRollCallGrace), impl_->where);
    fail("[distributed] rank ", rank_, " of ", size_, ": the ", what, " failed (", cause, "); ", verdict,
         ". The job stops; checkpoints written before are intact.");
  }
}

void ProcessGroup::sum(const torch::Tensor& tensor) {
  if (size_ == 1) return;
  // A tensor elsewhere (a count on the CPU beside NCCL) travels through the group's device.
  const bool here = tensor.device() == impl_->device;
  std::vector<torch::Tensor> tensors = {here ? tensor : tensor.to(impl_->device)};
  collective("all-reduce", [&](Backend& b) { b.all_reduce_sum(tensors); });
  if (!here) tensor.copy_(tensors[0]);
}

std::vector<std::string> ProcessGroup::all_gather(const std::string& bytes) {
  if (size_ == 1) return {bytes};
  // Gloo gathers tensors of one size: first the lengths, then the bytes padded to the longest.
  const auto length = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64).to(impl_->device);
  std::vector<torch::Tensor> lengths_in = {length};
  std::vector<std::vector<torch::Tensor>> lengths_out(1);
  for (int r = 0; r < size_; ++r) lengths_out[0].push_back(torch::empty_like(length));
  collective("all-gather", [&](Backend& b) { b.all_gather(lengths_out, lengths_in); });
  int64_t longest = 0;
  for (auto& l : lengths_out[0]) longest = std::max(longest, (l = l.cpu()).item<int64_t>());
  auto padded = torch::zeros({std::max<int64_t>(1, longest)}, torch::kUInt8);
  std::copy(bytes.begin(), bytes.end(), padded.data_ptr<uint8_t>());
  padded = padded.to(impl_->device);
  std::vector<torch::Tensor> in = {padded};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < size_; ++r) out[0].push_back(torch::empty_like(padded));
  collective("all-gather", [&](Backend& b) { b.all_gather(out, in); });
  std::vector<std::string> result;
  for (int r = 0; r < size_; ++r) {
    out[0][r] = out[0][r].cpu();
    const auto* data = reinterpret_cast<const char*>(out[0][r].data_ptr<uint8_t>());
    result.emplace_back(data, static_cast<std::size_t>(lengths_out[0][r].item<int64_t>()));
  }
  return result;
}

void ProcessGroup::barrier() {
  if (size_ == 1) return;
  collective("barrier", [&](Backend& b) { b.barrier(); });
}

void ProcessGroup::report_failure(const std::string& what) noexcept {
  if (size_ == 1 || !impl_ || !impl_->store) return;
  try {
    publish_failure(*impl_->store, rank_, what);
    // Rank 0 serves the store: it closes its connections, so that the others' collectives fail
    // now, and keeps the store a moment longer, so that they can read the report.
    if (rank_ == 0 && !impl_->failed) {
      impl_->backend.reset();
      std::this_thread::sleep_for(std::min(impl_->timeout, kRollCallGrace));
    }
  } catch (...) {
  }
}

std::unique_ptr<ProcessGroup> join_launch(const GroupOptions& options) {
  const auto env = launch_env();
  if (!env) return std::make_unique<ProcessGroup>();
  return std::make_unique<ProcessGroup>(*env, options);
}

}  // namespace vltune::distributed
