// Where a run's checkpoints are: RUN/checkpoints/step-NNNNNNNN/ (training/checkpoint.h writes and
// reads them; analysis/run_checkpoints.h decides which folders are checkpoints). Plain (no
// LibTorch): finding a run's newest checkpoint needs no tensors.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace vltune::training {

// The prefix of a checkpoint folder's name: step-NNNNNNNN.
inline const std::string kCheckpointPrefix = "step-";

// The folder name of step `step`'s checkpoint: step-00000012.
std::string checkpoint_folder_name(int64_t step);

// The newest complete checkpoint of a run (by step, not by name), if any.
std::optional<std::string> latest_checkpoint(const std::string& run_dir);

}  // namespace vltune::training
