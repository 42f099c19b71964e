// What a training run needs from distributed/ beyond the collectives: joining the launch with the
// recipe's distributed.* keys, and the checks that make a resumed distributed run exact.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "distributed/process_group.h"
#include "training/checkpoint.h"
#include "training/recipe.h"

namespace vltune::training {

// This process' group: the launch in the environment (torchrun, Slurm) joined with the recipe's
// distributed.backend and distributed.timeout on `device`, else a world of one.
std::unique_ptr<distributed::ProcessGroup> join_launch(const Recipe& recipe, const torch::Device& device);

// Every rank must start from the same step (a run folder every node sees), and a state resumed from
// `checkpoint` (empty: none) must come from a run of as many processes (the batch is per process).
// Every rank calls it.
void check_resumed_world(const TrainState& state, distributed::ProcessGroup& group, const std::string& checkpoint);

// The seed of rank `rank`'s generator (dropout) from step `step` on: rank 0 keeps the run's generator
// (a world of one is unchanged); the others draw from their own streams.
uint64_t rank_seed(uint64_t seed, int rank, int64_t step);

}  // namespace vltune::training
