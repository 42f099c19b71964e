// A run folder's checkpoints: RUN/checkpoints/step-N/, as training/checkpoint.h writes them. Plain
// (no LibTorch): listing them needs no tensors. The one place that decides what is a checkpoint.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vltune::analysis {

// The step a checkpoint folder's name holds: step-N, N of 1 to 15 digits; nullopt for any other
// name (a crash leaves step-N.tmp; a stray step-zzzz is no checkpoint).
std::optional<int64_t> checkpoint_step(const std::string& folder_name);

// (step, folder) of each complete checkpoint of a run, by step: the folders checkpoint_step names.
std::vector<std::pair<int64_t, std::string>> run_checkpoints(const std::string& run_dir);

}  // namespace vltune::analysis
