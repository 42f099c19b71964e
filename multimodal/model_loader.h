// Loads a Hugging Face model folder (config.json + safetensors, single or sharded) into a
// VisionLanguageModel: reads the config, detects the key layout, builds the modules in the chosen
// dtype and fills them strictly. The base weights come back frozen (requires_grad false).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

#include "core/checkpoint.h"
#include "multimodal/llava.h"

namespace vltune::multimodal {

struct LoadOptions {
  std::optional<torch::Dtype> dtype;  // default: the dtype config.json names (float32 if none)
  torch::Device device = torch::kCPU;
  // Set: build the model from config.json alone with fresh weights drawn from this seed
  // (transformers' init: Linear and Embedding weights ~ N(0, initializer_range²), biases 0,
  // norms 1), for pretraining from scratch. The folder needs no safetensors then.
  std::optional<uint64_t> random_init_seed;
  // What left-padded query positions get from attention (language/decoder_arch.h EmptyRowRule):
  // eager (vltune's default) or sdpa, matching transformers run with that attn_implementation.
  language::EmptyRowRule empty_rows = language::EmptyRowRule::kEager;
};

struct LoadedModel {
  std::string dir;
  ModelConfig config;
  VisionLanguageModel model{nullptr};
  KeyLayout layout;  // the key layout the checkpoint was read with (export writes it back)
  LoadReport report;
};

LoadedModel load_model(const std::string& model_dir, const LoadOptions& options = {});

}  // namespace vltune::multimodal
