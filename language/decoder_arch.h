// LLaMA-family decoder architectures, registered as data. Llama, Mistral and Qwen2 share one
// implementation (language/llama.h); what differs is listed in DecoderArch. To add a family, add a
// row to decoder_archs() (docs/add-a-model.md).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json_view.h"

namespace vltune::language {

enum class BiasRule { kConfigAttentionBias, kQkvOnly, kNone };
enum class SlidingRule { kNone, kAllLayers, kLayersFromMaxWindowLayers };

struct DecoderArch {
  std::string model_type;
  BiasRule bias;        // where the attention projections carry a bias
  SlidingRule sliding;  // how `sliding_window` applies to layers
};

const std::vector<DecoderArch>& decoder_archs();
const DecoderArch& decoder_arch(const std::string& model_type);  // throws listing known types

// What a query that may see no key at all (a left-padded position) gets from attention, as in the
// transformers attention implementation it is named after. Its mask row is all lowest-value:
//   kEager  eager attention: the softmax of equal scores, the uniform average of every value
//   kSdpa   SDPA (torch >= 2.5, transformers' default): zeros (torch's safe softmax)
// Real queries never see padded keys, so only the padded positions' outputs differ, and through
// them the loss where a padded position predicts a labelled token.
enum class EmptyRowRule { kEager, kSdpa };
EmptyRowRule parse_empty_row_rule(const std::string& name, const std::string& where);  // "eager" | "sdpa"

struct RopeConfig {
  std::string type = "default";  // default | linear | llama3
  double theta = 10000.0;
  double factor = 1.0;            // linear, llama3
  double low_freq_factor = 1.0;   // llama3
  double high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
  std::vector<int64_t> mrope_section;  // M-RoPE (Qwen2-VL): frequencies per time/row/column axis
};

struct DecoderConfig {
  DecoderArch arch;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  double rms_norm_eps = 1e-6;
  double initializer_range = 0.02;  // std of fresh weights (training from scratch)
  std::string hidden_act = "silu";
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  int64_t max_position_embeddings = 2048;
  RopeConfig rope;
  std::vector<std::optional<int64_t>> layer_window;  // per layer: sliding window, or full attention
  EmptyRowRule empty_rows = EmptyRowRule::kEager;   // not in config.json: a load option
  std::optional<int64_t> bos_token_id, eos_token_id, pad_token_id;
};

// `json` is the decoder's own config (a top-level llama/mistral/qwen2 config.json, or a llava
// config's text_config). Accepts both a top-level rope_theta/rope_scaling and transformers 5's
// rope_parameters.
DecoderConfig parse_decoder_config(const JsonView& json);

}  // namespace vltune::language
