// The one-line training progress shown per step, on a terminal updated in place:
//   step 12/100 loss 2.345 lr 1.0e-04 1234 tok/s ETA 00:01:23
// loss, lr and tok/s appear when the step's scalars hold "loss", "lr" and "tokens_per_s".
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace vltune::training {

// "HH:MM:SS" (hours go past 99 when needed); "--:--:--" when unknown (negative or not finite).
std::string format_duration(double seconds);

std::string progress_text(int64_t step, int64_t total_steps, const std::map<std::string, double>& scalars,
                          double eta_seconds);

}  // namespace vltune::training
