#include "training/distributed_run.h"

#include <chrono>

#include "core/error.h"
#include "training/run_setup.h"

namespace vltune::training {

torch::Device rank_device(const Recipe& recipe) {
  const auto device = parse_device(recipe.str("model.device"), recipe.where("model.device") + ": model.device");
  const auto launch = distributed::launch_env();
  if (!launch || !device.is_cuda() || device.has_index()) return device;
  return parse_device(cat("cuda:", launch->local_rank), cat(recipe.where("model.device"), ": model.device cuda as local rank ",
                                                            launch->local_rank, " of ", launch->source));
}

std::unique_ptr<distributed::ProcessGroup> join_launch(const Recipe& recipe, const torch::Device& device) {
  distributed::GroupOptions options;
  options.backend = recipe.str("distributed.backend");
  options.device = device;
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(1000 * recipe.number("distributed.timeout")));
  return distributed::join_launch(options);
}

std::vector<int64_t> sum_counts(distributed::ProcessGroup& group, const std::vector<int64_t>& counts) {
  if (group.size() == 1) return counts;
  const auto summed = torch::tensor(counts, torch::kInt64);
  group.sum(summed);
  return std::vector<int64_t>(summed.data_ptr<int64_t>(), summed.data_ptr<int64_t>() + summed.numel());
}

void check_resumed_world(const TrainState& state, distributed::ProcessGroup& group, const std::string& checkpoint) {
  const auto steps = group.all_gather(std::to_string(state.step));
  for (int r = 0; r < group.size(); ++r)
    if (steps[r] != steps[0])
      fail("[train] rank ", r, " starts from step ", steps[r], " but rank 0 from step ", steps[0],
           ": every rank must see the same run folder (a shared file system)");
  if (!checkpoint.empty() && state.world_size != group.size())
    fail("[train] ", checkpoint, " was written by a run of ", state.world_size, " process(es); this launch has ", group.size(),
         ": resume it with ", state.world_size, " (each step's samples are spread over the processes, and the batch is per process)");
}

uint64_t rank_seed(uint64_t seed, int rank, int64_t step) {
  // splitmix64's constant spreads (rank, step) over the seed space
  return seed + 0x9E3779B97F4A7C15ULL * (static_cast<uint64_t>(rank) * 1000003ULL + static_cast<uint64_t>(step));
}

}  // namespace vltune::training
