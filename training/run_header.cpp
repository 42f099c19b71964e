#include "training/run_header.h"

#include <cstdio>

#include "core/error.h"

namespace vltune::training {

namespace {

// 1234567 -> "1,234,567".
std::string grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (auto at = static_cast<int64_t>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return value < 0 ? "-" + digits : digits;
}

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", digits, value);
  return text;
}

}  // namespace

std::string run_header_text(const RunHeader& h) {
  std::string text = cat("run ", h.run_dir, h.start_step > 0 ? cat(" (resumed at step ", h.start_step, ")") : std::string(" (a new run)"));
  text += cat("\n  data      ", grouped(h.train_samples), " training samples (", grouped(h.bad_samples), " bad sample",
              h.bad_samples == 1 ? "" : "s", " skipped), ",
              h.eval_scored < h.eval_samples ? cat("eval ", grouped(h.eval_scored), " of ", grouped(h.eval_samples), " samples")
                                             : cat(grouped(h.eval_samples), " evaluation samples"));
  const double share = h.model_params > 0 ? 100.0 * static_cast<double>(h.trainable_params) / static_cast<double>(h.model_params) : 0.0;
  text += cat("\n  adapters  ", grouped(h.trainable_params), " trainable parameters (", fixed(share, share < 0.01 ? 4 : 2),
              "% of the model's ", grouped(h.model_params), ")");
  const double epochs = h.train_samples > 0 ? static_cast<double>(h.steps * h.samples_per_step) / static_cast<double>(h.train_samples) : 0.0;
  text += cat("\n  schedule  ", grouped(h.steps), " steps of ", h.samples_per_step, " samples = ", fixed(epochs, 2), " epochs");
  return text;
}

}  // namespace vltune::training
