// Training checkpoints: RUN/checkpoints/step-NNNNNNNN/ holding the adapter in PEFT format, the
// optimizer's fp32 master values, moments and step count, the RNG state and the data position, written so that a
// crash at any moment leaves either the previous checkpoints or a complete new one: files go to a
// temporary folder, each fsync'ed, which is then renamed into place, beside (never over) the
// others; only then are older ones pruned to the last `keep_last`. Folders not named step-N are
// neither checkpoints nor pruned. state.json is checked on load (step matching the folder, no
// negative position), so a damaged one cannot resume a run.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

#include "adapters/adapter_set.h"
#include "core/json_view.h"
#include "datasets/loader.h"
#include "training/checkpoint_folders.h"
#include "training/flat_adamw.h"

namespace vltune::training {

struct TrainState {
  int64_t step = 0;                  // optimizer steps taken
  datasets::LoaderPosition data;     // where the loader resumes
  torch::Tensor rng_state;           // the CPU generator's state (uint8)
  int64_t optimizer_steps = 0;       // the optimizer's own step count (its bias correction), as saved
  int64_t world_size = 1;            // the processes that trained it (distributed/; 1 in older checkpoints)
};

// state.json's values (the document read from folder `folder_name`, step-NNNNNNNN), each checked:
// a damaged file must not resume a run (and then write checkpoints numbered from its step). Throws
// naming the file and key.
TrainState read_train_state(const JsonView& json, const std::string& folder_name);

// Returns the checkpoint folder written; throws, writing nothing, when that step's folder exists.
std::string save_checkpoint(const std::string& run_dir, adapters::AdapterSet& set, const FlatAdamW& optimizer,
                            const TrainState& state, bool multimodal_model, int keep_last);

// Restores the set's tensors, the optimizer and the state from `checkpoint_dir`.
TrainState load_checkpoint(const std::string& checkpoint_dir, adapters::AdapterSet& set, FlatAdamW& optimizer,
                           bool multimodal_model);

}  // namespace vltune::training
