#include "language/decoder_arch.h"

#include <algorithm>

#include "core/config_bounds.h"
#include "core/error.h"
#include "core/lookup.h"
#include "core/activation_names.h"

namespace vltune::language {

const std::vector<DecoderArch>& decoder_archs() {
  static const std::vector<DecoderArch> archs = {
      {"llama", BiasRule::kConfigAttentionBias, SlidingRule::kNone},
      {"mistral", BiasRule::kNone, SlidingRule::kAllLayers},
      {"qwen2", BiasRule::kQkvOnly, SlidingRule::kLayersFromMaxWindowLayers},
      // the Qwen2 decoders inside Qwen2.5-VL and Qwen2-VL (text_config), with M-RoPE (language/mrope.h)
      {"qwen2_5_vl_text", BiasRule::kQkvOnly, SlidingRule::kLayersFromMaxWindowLayers},
      {"qwen2_vl_text", BiasRule::kQkvOnly, SlidingRule::kLayersFromMaxWindowLayers},
  };
  return archs;
}

const DecoderArch& decoder_arch(const std::string& model_type) {
  return lookup_by_name(decoder_archs(), model_type, [](const DecoderArch& a) { return a.model_type; },
                        "[language] unsupported decoder model_type");
}

EmptyRowRule parse_empty_row_rule(const std::string& name, const std::string& where) {
  if (name == "eager") return EmptyRowRule::kEager;
  if (name == "sdpa") return EmptyRowRule::kSdpa;
  fail(where, ": unknown attention '", name, "' (expected eager or sdpa)");
}

namespace {

RopeConfig parse_rope(const JsonView& json) {
  RopeConfig rope;
  rope.theta = bounds::number_above(json, "rope_theta", 0, rope.theta);
  // transformers 5 writes rope_parameters (with rope_theta inside); older configs rope_scaling.
  std::optional<JsonView> params = json.optional_child("rope_parameters");
  if (!params) params = json.optional_child("rope_scaling");
  if (!params) return rope;
  rope.theta = bounds::number_above(*params, "rope_theta", 0, rope.theta);
  rope.type = params->str_or("rope_type", params->str_or("type", "default"));
  if (rope.type == "mrope") rope.type = "default";  // Qwen2-VL's older name: default frequencies, M-RoPE positions
  if (params->has("mrope_section")) rope.mrope_section = params->integers("mrope_section");
  if (rope.type == "default") return rope;
  if (rope.type != "linear" && rope.type != "llama3")
    params->fail_at("rope_type", "'" + rope.type + "' is not supported (supported: default, linear, llama3)");
  // A factor of 0 would divide the frequencies by zero and train to NaN.
  rope.factor = bounds::number_above(*params, "factor", 0);
  if (rope.type == "llama3") {
    rope.low_freq_factor = bounds::number_above(*params, "low_freq_factor", 0);
    rope.high_freq_factor = bounds::number_above(*params, "high_freq_factor", 0);
    rope.original_max_position_embeddings =
        bounds::integer_in(*params, "original_max_position_embeddings", 1, bounds::kMaxPositions);
    if (rope.high_freq_factor <= rope.low_freq_factor)
      params->fail_at("high_freq_factor", "must be greater than low_freq_factor");
  }
  return rope;
}

std::vector<std::optional<int64_t>> parse_layer_windows(const JsonView& json, const DecoderConfig& c) {
  std::vector<std::optional<int64_t>> windows(c.num_layers);
  std::optional<int64_t> window;
  if (json.has("sliding_window")) window = bounds::integer_in(json, "sliding_window", 1, bounds::kMaxPositions);
  if (json.has("layer_types")) {
    const auto& types = json.raw()["layer_types"];
    if (!types.is_array() || static_cast<int64_t>(types.size()) != c.num_layers)
      json.fail_at("layer_types", cat("expected a list of ", c.num_layers, " entries"));
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const std::string type = types[i].is_string() ? types[i].get<std::string>() : "";
      if (type == "sliding_attention") {
        if (!window) json.fail_at("sliding_window", "is required when layer_types has sliding_attention");
        windows[i] = window;
      } else if (type != "full_attention") {
        json.fail_at("layer_types", cat("entry ", i, " must be full_attention or sliding_attention"));
      }
    }
    return windows;
  }
  if (!window) return windows;
  if (c.arch.sliding == SlidingRule::kAllLayers) {
    for (auto& w : windows) w = window;
  } else if (c.arch.sliding == SlidingRule::kLayersFromMaxWindowLayers && json.boolean_or("use_sliding_window", false)) {
    // transformers slides layer i when i >= max_window_layers: a negative value slides every
    // layer, one past the last slides none.
    const int64_t first = std::clamp<int64_t>(json.integer_or("max_window_layers", c.num_layers), 0, c.num_layers);
    for (int64_t i = first; i < c.num_layers; ++i) windows[i] = window;
  }
  return windows;
}

std::optional<int64_t> first_id(const JsonView& json, const std::string& key) {
  if (!json.has(key)) return std::nullopt;
  return json.integers(key).front();
}

}  // namespace

DecoderConfig parse_decoder_config(const JsonView& json) {
  DecoderConfig c;
  const std::string type = json.str_or("model_type", "llama");
  try {
    c.arch = decoder_arch(type);
  } catch (const Error& e) {
    json.fail_at("model_type", e.what());
  }
  c.vocab_size = bounds::integer_in(json, "vocab_size", 1, bounds::kMaxVocabSize);
  c.hidden_size = bounds::integer_in(json, "hidden_size", 1, bounds::kMaxHiddenSize);
  c.intermediate_size = bounds::integer_in(json, "intermediate_size", 1, bounds::kMaxIntermediateSize);
  c.num_layers = bounds::integer_in(json, "num_hidden_layers", 1, bounds::kMaxLayers);
  c.num_heads = bounds::integer_in(json, "num_attention_heads", 1, bounds::kMaxHeads);
  c.num_kv_heads = bounds::integer_in(json, "num_key_value_heads", 1, bounds::kMaxHeads, c.num_heads);
  if (c.hidden_size % c.num_heads != 0)
    json.fail_at("num_attention_heads", cat(c.num_heads, " must divide hidden_size ", c.hidden_size));
  if (c.num_heads % c.num_kv_heads != 0)
    json.fail_at("num_key_value_heads", cat(c.num_kv_heads, " must divide num_attention_heads ", c.num_heads));
  c.head_dim = bounds::integer_in(json, "head_dim", 1, bounds::kMaxHeadDim, c.hidden_size / c.num_heads);
  c.rms_norm_eps = bounds::number_above(json, "rms_norm_eps", 0, 1e-6);
  c.initializer_range = json.number_or("initializer_range", 0.02);
  c.hidden_act = json.str_or("hidden_act", "silu");
  check_activation_name(c.hidden_act, json.file() + ": key '" + json.key_path("hidden_act") + "'");
  switch (c.arch.bias) {
    case BiasRule::kConfigAttentionBias:
      c.qkv_bias = c.o_bias = json.boolean_or("attention_bias", false);
      break;
    case BiasRule::kQkvOnly:
      c.qkv_bias = true;
      break;
    case BiasRule::kNone:
      break;
  }
  c.mlp_bias = json.boolean_or("mlp_bias", false);
  c.tie_word_embeddings = json.boolean_or("tie_word_embeddings", false);
  c.max_position_embeddings =
      bounds::integer_in(json, "max_position_embeddings", 1, bounds::kMaxPositions, c.max_position_embeddings);
  c.rope = parse_rope(json);
  c.layer_window = parse_layer_windows(json, c);
  c.bos_token_id = first_id(json, "bos_token_id");
  c.eos_token_id = first_id(json, "eos_token_id");
  c.pad_token_id = first_id(json, "pad_token_id");
  return c;
}

}  // namespace vltune::language
