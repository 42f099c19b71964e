// A recipe becomes a training run here.
//
// One optimizer step: `grad_accum` micro-batches of `batch_size` samples from the loader, each
// loss summed over its target tokens and divided by the step's total target tokens (so the step
// minimises the mean over every trained token, however the tokens fall into micro-batches),
// backward into the flat gradient arena, clip, AdamW at the scheduled learning rate. A loss or
// gradient norm that is not finite stops the run with an error naming the step; checkpoints
// already written are kept and none is written for the bad step.
//
// The backbone is shared: the run attaches its own adapter set and detaches it at the end, so
// several runs (`vltune compare`) train one after another on one loaded model.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "training/recipe.h"
#include "training/run_setup.h"

namespace vltune::distributed {
class ProcessGroup;
}

namespace vltune::training {

struct RunResult {
  std::string run_dir;
  int64_t steps = 0;
  int64_t trainable_params = 0, model_params = 0;
  std::string methods;  // the adapter methods the run trained, "+"-joined in order of first use: "dora+magnitude"
  int64_t rank = 0;     // the largest adapter rank (0: none, as for full fine-tuning)
  double seconds = 0, step_time_ms = 0, tokens_per_s = 0;
  double peak_memory_mib = 0;  // during the training steps (core/memory_usage.h: RSS on the CPU)
  std::map<std::string, double> metrics;              // the final evaluation
  std::vector<std::pair<int64_t, double>> loss_curve;  // (step, training loss) at every step
  int64_t bad_samples = 0;
};

struct TrainRequest {
  bool resume = false;   // continue from the newest checkpoint in the run directory
  std::string run_dir;   // default: the recipe's output.dir
  bool quiet = false;    // no progress line or per-step log lines (metrics.jsonl is still written)
  // The processes training together (training/distributed_run.h; null: this one alone). Each
  // rank trains on its share of every step's samples, the gradients are summed over the ranks once
  // per step, and rank 0 alone writes the run folder.
  distributed::ProcessGroup* group = nullptr;
};

// What train throws when a run stops on values that are not finite (the loss, the gradient norm, or
// the trained values after an update): an Error whose message says so, with the step and the cause
// apart, so that vltune compare's lr tuning can record the candidate as diverged rather than fail.
class TrainingDiverged : public Error {
 public:
  TrainingDiverged(const std::string& message, int64_t step, std::string cause) : Error(message), step(step), cause(std::move(cause)) {}
  int64_t step;       // the step that stopped it
  std::string cause;  // "the gradient norm is inf"
};

RunResult train(Backbone& backbone, const Recipe& recipe, const TrainRequest& request = {});

}  // namespace vltune::training
