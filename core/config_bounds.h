// Sane bounds on the sizes an untrusted config.json states, checked before anything is allocated:
// each is far above any released model's value and far below what would exhaust a machine, so
// "hidden_size": 1e9 is an error naming the key rather than a gigabyte allocation. Torch-free.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/json_view.h"

namespace vltune::bounds {

inline constexpr int64_t kMaxHiddenSize = 1 << 16;        // largest released models: 16384-wide
inline constexpr int64_t kMaxIntermediateSize = 1 << 18;  // MLP width
inline constexpr int64_t kMaxVocabSize = 1 << 22;         // largest released vocabularies: ~262k
inline constexpr int64_t kMaxLayers = 1024;
inline constexpr int64_t kMaxHeads = 1024;
inline constexpr int64_t kMaxHeadDim = 4096;
inline constexpr int64_t kMaxPositions = int64_t{1} << 24;  // max_position_embeddings and the like
inline constexpr int64_t kMaxImageSide = 8192;              // a tower's image_size, a preprocessor's sizes
inline constexpr int64_t kMaxChannels = 16;
inline constexpr int64_t kMaxParameters = int64_t{1} << 40;  // a whole model, estimated from its config

// The integer at `key` (`fallback` when absent, required when there is none), refused unless it
// lies in [low, high]: "[config] m/config.json: key 'text_config.hidden_size': 1000000000 is out of
// range [1, 65536]".
int64_t integer_in(const JsonView& json, const std::string& key, int64_t low, int64_t high,
                   std::optional<int64_t> fallback = std::nullopt);

// The number at `key` (`fallback` when absent), refused unless finite and greater than `above`.
double number_above(const JsonView& json, const std::string& key, double above, std::optional<double> fallback = std::nullopt);

}  // namespace vltune::bounds
