#include "multimodal/generate.h"

#include <filesystem>

#include "core/error.h"
#include "core/json_view.h"
#include "core/log.h"
#include "multimodal/generation_guards.h"

namespace vltune::multimodal {

namespace {

torch::Tensor model_weight(VisionLanguageModelImpl& model) { return model.language_model->embed_tokens->weight; }

std::vector<int64_t> generate_from(VisionLanguageModelImpl& model, const torch::Tensor& input_ids, const VisualTokens& visual,
                                   const language::GenerationOptions& options) {
  language::check_generation_options(options, "[generate]");
  const int64_t length = input_ids.defined() && input_ids.dim() == 1 ? input_ids.size(0) : 0;
  // transformers' rope_deltas: the next position is the prompt's largest + 1, not its length.
  const int64_t offset = visual.position_ids.defined() ? visual.position_ids.max().item<int64_t>() + 1 - length : 0;
  check_prompt_fits(model, length + offset, "the prompt");
  // The answer's tokens take the positions after the prompt's: no more than are left.
  auto bounded = options;
  bounded.max_new_tokens = answer_budget(model, length + offset, options.max_new_tokens);
  torch::NoGradGuard no_grad;
  EvalModeScope eval(model);
  language::KVCache cache;
  auto first = prefill(model, input_ids, visual, cache);
  return language::generate_tokens(first, std::move(cache),
                                   [&](const torch::Tensor& tokens, language::KVCache& kv) {
                                     return next_token_logits(model, tokens, kv, offset);
                                   },
                                   bounded);
}

// The prompt's visual tokens: the family's encoding of its patches and grids, or its images /
// clip frames (pooled) through the fixed-size path.
VisualTokens prompt_visual(VisionLanguageModelImpl& model, const PreparedSample& prompt, const VideoPooling& pooling) {
  const auto weight = model_weight(model);
  auto on_model = [&](const torch::Tensor& t, bool values) {
    return !t.defined() ? t : values ? t.to(weight.device(), weight.scalar_type()) : t.to(weight.device());
  };
  VisualTokens visual;
  if (in_patch_layout(prompt)) {
    ForwardInputs in;
    in.input_ids = torch::tensor(prompt.input_ids, torch::kInt64).unsqueeze(0).to(weight.device());
    in.pixel_values = on_model(prompt.pixels, true);
    in.image_grid_thw = on_model(prompt.image_grid_thw, false);
    in.pixel_values_videos = on_model(prompt.pixel_values_videos, true);
    in.video_grid_thw = on_model(prompt.video_grid_thw, false);
    in.second_per_grid_ts = prompt.second_per_grid_ts;
    return model.encode_visual(in);
  }
  if (prompt.pixels.defined()) {
    const auto pixels = on_model(prompt.pixels, true);
    visual.image = prompt.video ? model.video_features(pixels, pooling) : model.image_features(pixels);
  }
  return visual;
}

}  // namespace

std::vector<int64_t> eos_token_ids(const std::string& model_dir) {
  const auto generation_config = model_dir + "/generation_config.json";
  if (std::filesystem::exists(generation_config)) {
    const auto json = read_json_file(generation_config, kMaxConfigFileBytes);
    const JsonView view(json, generation_config);
    if (view.has("eos_token_id")) return view.integers("eos_token_id");
  }
  const auto config_path = model_dir + "/config.json";
  const auto json = read_json_file(config_path, kMaxConfigFileBytes);
  const JsonView config(json, config_path);
  for (const auto& node : {config.optional_child("text_config"), std::optional<JsonView>(config)})
    if (node && node->has("eos_token_id")) return node->integers("eos_token_id");
  return {};
}

torch::Tensor prefill(VisionLanguageModelImpl& model, const torch::Tensor& input_ids, const VisualTokens& visual,
                      language::KVCache& cache) {
  if (!input_ids.defined() || input_ids.dim() != 1 || input_ids.size(0) == 0)
    fail("[generate] the prompt must be a non-empty [length] tensor of token ids");
  if (cache.length() != 0) fail("[generate] prefill needs an empty KV cache, this one holds ", cache.length(), " positions");
  const auto device = model_weight(model).device();
  auto ids = input_ids.to(device, torch::kInt64).unsqueeze(0);
  auto features = visual.image;
  if (features.defined() && features.dim() == 2) features = features.unsqueeze(0);
  auto embeds = model.embed_inputs(ids, features, visual.video);
  auto hidden = model.language_model->forward(embeds, torch::ones_like(ids), &cache, visual.position_ids);
  return model.lm_logits(hidden.narrow(1, hidden.size(1) - 1, 1)).reshape({-1});
}

torch::Tensor prefill(VisionLanguageModelImpl& model, const torch::Tensor& input_ids, const torch::Tensor& visual_features,
                      language::KVCache& cache) {
  VisualTokens visual;
  visual.image = visual_features;
  return prefill(model, input_ids, visual, cache);
}

torch::Tensor next_token_logits(VisionLanguageModelImpl& model, const torch::Tensor& tokens, language::KVCache& cache,
                                int64_t position_offset) {
  // New tokens are plain vocabulary ids: only the prompt carries visual tokens.
  auto ids = tokens.view({-1, 1});
  torch::Tensor positions;  // text after the prompt: the same position on every M-RoPE axis
  if (position_offset != 0) positions = torch::full_like(ids, cache.length() + position_offset);
  auto hidden = model.language_model->forward(model.language_model->embed(ids), torch::ones_like(ids), &cache, positions);
  return model.lm_logits(hidden).squeeze(1);
}

std::vector<int64_t> generate(VisionLanguageModelImpl& model, const torch::Tensor& input_ids,
                              const torch::Tensor& visual_features, const language::GenerationOptions& options) {
  VisualTokens visual;
  visual.image = visual_features;
  return generate_from(model, input_ids, visual, options);
}

std::vector<int64_t> generate(VisionLanguageModelImpl& model, const PreparedSample& prompt,
                              const language::GenerationOptions& options, const VideoPooling& pooling) {
  check_prompt_fits(model, static_cast<int64_t>(prompt.input_ids.size()), cat("the prompt of ", prompt.id));
  torch::NoGradGuard no_grad;
  EvalModeScope eval(model);
  const auto visual = prompt_visual(model, prompt, pooling);
  return generate_from(model, torch::tensor(prompt.input_ids, torch::kInt64), visual, options);
}

}  // namespace vltune::multimodal
