// What a training run needs from distributed/ beyond the collectives: the rank's device, joining
// the launch with the recipe's distributed.* keys, summing counts, and the checks that make a
// resumed distributed run exact. In a world of one every call leaves things as they were.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "distributed/process_group.h"
#include "training/checkpoint.h"
#include "training/recipe.h"

namespace vltune::training {

// The device this process trains on: model.device, except that a bare "cuda" means the rank's own
// GPU, cuda:LOCAL_RANK, under a launch (the recipe itself is unchanged: every rank's recipe.yaml
// still says "cuda").
torch::Device rank_device(const Recipe& recipe);

// This process' group: the launch in the environment (torchrun, Slurm) joined with the recipe's
// distributed.backend and distributed.timeout on `device`, else a world of one.
std::unique_ptr<distributed::ProcessGroup> join_launch(const Recipe& recipe, const torch::Device& device);

// `counts` summed over the ranks (one all-reduce), in their order.
std::vector<int64_t> sum_counts(distributed::ProcessGroup& group, const std::vector<int64_t>& counts);

// Every rank must start from the same step (a run folder every node sees), and a state resumed from
// `checkpoint` (empty: none) must come from a run of as many processes (the batch is per process).
// Every rank calls it.
void check_resumed_world(const TrainState& state, distributed::ProcessGroup& group, const std::string& checkpoint);

// The seed of rank `rank`'s generator (dropout) from step `step` on: rank 0 keeps the run's generator
// (a world of one is unchanged); the others draw from their own streams.
uint64_t rank_seed(uint64_t seed, int rank, int64_t step);

}  // namespace vltune::training
