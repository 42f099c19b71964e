#include "training/progress_line.h"

#include <cmath>
#include <cstdio>

namespace vltune::training {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--:--";
  const auto total = static_cast<long long>(std::llround(seconds));
  char text[48];
  std::snprintf(text, sizeof(text), "%02lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  return text;
}

std::string progress_text(int64_t step, int64_t total_steps, const std::map<std::string, double>& scalars,
                          double eta_seconds) {
  char field[64];
  std::snprintf(field, sizeof(field), "step %lld/%lld", static_cast<long long>(step), static_cast<long long>(total_steps));
  std::string text = field;
  if (const auto loss = scalars.find("loss"); loss != scalars.end()) {
    std::snprintf(field, sizeof(field), " loss %.3f", loss->second);
    text += field;
  }
  if (const auto lr = scalars.find("lr"); lr != scalars.end()) {
    std::snprintf(field, sizeof(field), " lr %.1e", lr->second);
    text += field;
  }
  if (const auto rate = scalars.find("tokens_per_s"); rate != scalars.end()) {
    std::snprintf(field, sizeof(field), " %.0f tok/s", rate->second);
    text += field;
  }
  // The step's time, and how much of it went to waiting for the data and collating it: a loader
  // that cannot keep up shows here first.
  const auto step_ms = scalars.find("step_time_ms"), data_ms = scalars.find("data_ms");
  if (step_ms != scalars.end() && data_ms != scalars.end()) {
    std::snprintf(field, sizeof(field), " %.0f ms/step (data %.0f)", step_ms->second, data_ms->second);
    text += field;
  }
  return text + " ETA " + format_duration(eta_seconds);
}

}  // namespace vltune::training
