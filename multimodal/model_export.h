// Writes a loaded model (typically with adapters merged into it) as a Hugging Face model folder:
// config.json and the other small files copied from the source folder, and the weights in the key
// layout the source checkpoint used, sharded with model.safetensors.index.json when large. Every
// file is written atomically, and the source folder is never written to.
#pragma once
#include <cstdint>
#include <string>

#include "multimodal/model_loader.h"

namespace vltune::multimodal {

inline constexpr uint64_t kDefaultShardBytes = 4ull << 30;

void export_model(const LoadedModel& loaded, const std::string& out_dir, uint64_t max_shard_bytes = kDefaultShardBytes);

}  // namespace vltune::multimodal
