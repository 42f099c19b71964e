#include "training/eval_progress.h"

#include <unistd.h>

#include <iostream>

namespace vltune::training {

EvalProgress::EvalProgress(std::ostream* out, int64_t total, bool live) : out_(total > 0 ? out : nullptr), total_(total), live_(live) {}

EvalProgress::~EvalProgress() {
  if (line_open_) *out_ << "\r\x1b[K" << std::flush;
}

void EvalProgress::done(int64_t samples) {
  if (!out_) return;
  if (live_) {
    *out_ << "\reval " << samples << "/" << total_ << "\x1b[K" << std::flush;
    line_open_ = true;
    return;
  }
  // A plain line where the count crosses a quarter of the set (each quarter once).
  if (samples > 0 && samples * 4 / total_ != (samples - 1) * 4 / total_)
    *out_ << "vltune: info: eval " << samples << "/" << total_ << "\n" << std::flush;
}

bool is_terminal(const std::ostream* out) { return out == &std::cerr && ::isatty(STDERR_FILENO); }

}  // namespace vltune::training
