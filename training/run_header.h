// The lines `vltune train` prints before its first step, so that a run's size is seen before any
// compute is spent on it:
//   run runs/quickstart (a new run)
//     data      48 training samples (2 bad samples skipped), 16 evaluation samples
// and, where eval.max_samples scores only part of the eval set, "..., eval 16 of 48 samples".
//     adapters  12,288 trainable parameters (0.52% of the model's 2,359,296)
//     schedule  40 steps of 8 samples = 6.67 epochs
#pragma once
#include <cstdint>
#include <string>

namespace vltune::training {

struct RunHeader {
  std::string run_dir;
  int64_t start_step = 0;  // > 0: resumed from this step
  int64_t train_samples = 0;
  int64_t eval_samples = 0;  // the eval set's size
  int64_t eval_scored = 0;   // how many of them an evaluation scores (eval.max_samples caps it)
  int64_t bad_samples = 0;
  int64_t trainable_params = 0, model_params = 0;
  int64_t steps = 0, samples_per_step = 0;  // batch_size x grad_accum
};

// The lines above, joined by newlines (no trailing one); the caller logs them.
std::string run_header_text(const RunHeader& header);

}  // namespace vltune::training
