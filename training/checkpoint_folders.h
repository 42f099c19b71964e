// Where a run's checkpoints are: RUN/checkpoints/step-NNNNNNNN/ (training/checkpoint.h writes and
// reads them). Plain (no LibTorch): finding a run's newest checkpoint needs no tensors.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vltune::training {

// The prefix of a checkpoint folder's name: step-NNNNNNNN.
inline const std::string kCheckpointPrefix = "step-";

// A run's complete checkpoint folders, oldest first.
std::vector<std::filesystem::path> checkpoints_of(const std::string& run_dir);

// The newest complete checkpoint of a run, if any.
std::optional<std::string> latest_checkpoint(const std::string& run_dir);

}  // namespace vltune::training
