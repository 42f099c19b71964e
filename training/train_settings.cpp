#include "training/train_settings.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace vltune::training {

TrainSettings train_settings(const Recipe& recipe) {
  TrainSettings s;
  s.seed = static_cast<uint64_t>(recipe.integer("train.seed"));
  s.gradient_checkpointing = recipe.boolean("train.gradient_checkpointing");
  s.batch_size = recipe.integer("train.batch_size");
  s.grad_accum = recipe.integer("train.grad_accum");
  s.steps = recipe.integer("train.steps");
  s.epochs = recipe.number("train.epochs");
  s.lr = recipe.number("train.lr");
  s.weight_decay = recipe.number("train.weight_decay");
  s.clip_grad_norm = recipe.number("train.clip_grad_norm");
  for (const char* component : {"vision", "projector", "language"})
    s.lr_scale[component] = recipe.number(std::string("train.lr_scale.") + component);
  s.schedule = recipe.str("train.schedule");
  s.warmup_steps = recipe.integer("train.warmup_steps");
  s.warmup_where = recipe.where("train.warmup_steps");
  s.save_every = recipe.integer("output.save_every");
  s.eval_every = recipe.integer("eval.every");
  s.log_every = std::max<int64_t>(1, recipe.integer("output.log_every"));
  s.keep_last = static_cast<int>(recipe.integer("output.keep_last"));
  s.workers = static_cast<int>(recipe.integer("data.workers"));
  s.prefetch = static_cast<int>(recipe.integer("data.prefetch"));
  s.pack_length = recipe.boolean("data.packing") ? recipe.integer("data.max_length") : 0;
  return s;
}

int64_t total_steps(const TrainSettings& settings, int64_t samples, int world_size) {
  if (settings.steps > 0) return settings.steps;
  const double per_step = static_cast<double>(settings.batch_size * settings.grad_accum * world_size);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(settings.epochs * static_cast<double>(samples) / per_step)));
}

std::string warmup_warning(const TrainSettings& settings, int64_t steps) {
  if (steps <= 0 || settings.warmup_steps * 2 < steps) return "";
  return cat("train.warmup_steps (", settings.warmup_steps, ") is at least half of the run's ", steps,
             " steps: most of the run trains below the peak learning rate (", settings.warmup_where, ")");
}

}  // namespace vltune::training
