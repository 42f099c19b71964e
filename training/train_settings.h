// The training keys of a recipe, read once into a typed struct (the way evaluate.h's EvalSettings
// is): the trainer reads these fields, never the recipe, while it runs.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "training/recipe.h"

namespace vltune::training {

struct TrainSettings {
  uint64_t seed = 0;
  bool gradient_checkpointing = false;
  int64_t batch_size = 8, grad_accum = 1;
  int64_t steps = 0;    // train.steps; 0: from epochs (total_steps)
  double epochs = 1;
  double lr = 1e-4, weight_decay = 0, clip_grad_norm = 1.0;
  std::map<std::string, double> lr_scale;  // "vision", "projector", "language" -> train.lr_scale.<component>
  std::string schedule = "cosine";
  int64_t warmup_steps = 0;
  std::string warmup_where;  // where train.warmup_steps was set, for the warm-up warning
  int64_t save_every = 0, eval_every = 0, log_every = 1;  // log_every at least 1
  int keep_last = 3;
  int workers = 2, prefetch = 8;  // the data loader's
  int64_t pack_length = 0;        // data.packing: rows of at most data.max_length tokens (0: not packed)
};

TrainSettings train_settings(const Recipe& recipe);

// The run's optimizer steps: train.steps, or train.epochs over `samples` training samples (at least 1),
// each step taking batch_size x grad_accum samples on each of `world_size` processes.
int64_t total_steps(const TrainSettings& settings, int64_t samples, int world_size = 1);

// A schedule shortened by --set train.steps can leave the run in warm-up: a warning saying so, or
// "" when the warm-up is under half of the run's `steps`.
std::string warmup_warning(const TrainSettings& settings, int64_t steps);

}  // namespace vltune::training
