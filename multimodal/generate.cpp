#include "multimodal/generate.h"

#include <filesystem>

#include "core/error.h"
#include "core/json_view.h"
#include "core/log.h"
#include "datasets/prepare.h"

namespace vltune::multimodal {

namespace {

// Eval mode for the duration of a generation, for the model and the adapters attached to its
// Linear layers (they are modules of their own, outside the model), then each one's mode back.
class EvalModeScope {
 public:
  explicit EvalModeScope(VisionLanguageModelImpl& model) {
    modules_.emplace_back(&model, model.is_training());
    for (const auto& module : model.modules(/*include_self=*/false))
      if (const auto* linear = dynamic_cast<const LinearImpl*>(module.get()); linear && linear->adapter)
        if (auto* adapter = dynamic_cast<torch::nn::Module*>(linear->adapter)) modules_.emplace_back(adapter, adapter->is_training());
    for (auto& [module, was_training] : modules_) module->eval();
  }
  ~EvalModeScope() {
    for (auto& [module, was_training] : modules_) module->train(was_training);
  }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  std::vector<std::pair<torch::nn::Module*, bool>> modules_;
};

torch::Tensor model_weight(VisionLanguageModelImpl& model) { return model.language_model->embed_tokens->weight; }

// A prompt must leave the answer a position: beyond max_position_embeddings the decoder's
// positions were never trained, and it answers noise ("a yellow yellow yellow ...").
void check_prompt_fits(const VisionLanguageModelImpl& model, int64_t length, const std::string& prompt) {
  const int64_t positions = model.config().text.max_position_embeddings;
  if (length >= positions)
    fail("[generate] ", prompt, " has ", length, " tokens (visual tokens included) but the model has ", positions,
         " positions (max_position_embeddings), leaving none for the answer: use fewer video frames or pool them "
         "(--num-frames, --spatial-pool, --temporal-pool mean; data.num_frames, data.spatial_pool, data.temporal in a recipe), "
         "or a shorter prompt");
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

torch::Tensor prefill(VisionLanguageModelImpl& model, const torch::Tensor& input_ids, const torch::Tensor& visual_features,
                      language::KVCache& cache) {
  if (!input_ids.defined() || input_ids.dim() != 1 || input_ids.size(0) == 0)
    fail("[generate] the prompt must be a non-empty [length] tensor of token ids");
  if (cache.length() != 0) fail("[generate] prefill needs an empty KV cache, this one holds ", cache.length(), " positions");
  const auto device = model_weight(model).device();
  auto ids = input_ids.to(device, torch::kInt64).unsqueeze(0);
  auto features = visual_features;
  if (features.defined() && features.dim() == 2) features = features.unsqueeze(0);
  auto embeds = model.embed_inputs(ids, features);
  auto hidden = model.language_model->forward(embeds, torch::ones_like(ids), &cache);
  return model.lm_logits(hidden.narrow(1, hidden.size(1) - 1, 1)).reshape({-1});
}

torch::Tensor next_token_logits(VisionLanguageModelImpl& model, const torch::Tensor& tokens, language::KVCache& cache) {
  // New tokens are plain vocabulary ids: only the prompt carries visual tokens.
  auto ids = tokens.view({-1, 1});
  auto hidden = model.language_model->forward(model.language_model->embed(ids), torch::ones_like(ids), &cache);
  return model.lm_logits(hidden).squeeze(1);
}

std::vector<int64_t> generate(VisionLanguageModelImpl& model, const torch::Tensor& input_ids,
                              const torch::Tensor& visual_features, const language::GenerationOptions& options) {
  language::check_generation_options(options, "[generate]");
  const int64_t length = input_ids.defined() && input_ids.dim() == 1 ? input_ids.size(0) : 0;
  check_prompt_fits(model, length, "the prompt");
  // The answer's tokens take the positions after the prompt's: no more than are left.
  auto bounded = options;
  const int64_t room = model.config().text.max_position_embeddings - length;
  if (bounded.max_new_tokens > room) {
    log_warning(cat("[generate] the prompt's ", length, " tokens leave ", room, " of the model's ",
                    model.config().text.max_position_embeddings, " positions: at most ", room, " new tokens, not ",
                    bounded.max_new_tokens));
    bounded.max_new_tokens = room;
  }
  torch::NoGradGuard no_grad;
  EvalModeScope eval(model);
  language::KVCache cache;
  auto first = prefill(model, input_ids, visual_features, cache);
  return language::generate_tokens(first, std::move(cache),
                                   [&](const torch::Tensor& tokens, language::KVCache& kv) {
                                     return next_token_logits(model, tokens, kv);
                                   },
                                   bounded);
}

std::vector<int64_t> generate(VisionLanguageModelImpl& model, const datasets::PreparedSample& prompt,
                              const language::GenerationOptions& options, const VideoPooling& pooling) {
  check_prompt_fits(model, static_cast<int64_t>(prompt.input_ids.size()), cat("the prompt of ", prompt.id));
  torch::NoGradGuard no_grad;
  EvalModeScope eval(model);
  torch::Tensor features;
  if (prompt.pixels.defined()) {
    const auto weight = model_weight(model);
    auto pixels = prompt.pixels.to(weight.device(), weight.scalar_type());
    features = prompt.video ? model.video_features(pixels, pooling) : model.image_features(pixels);
  }
  return generate(model, torch::tensor(prompt.input_ids, torch::kInt64), features, options);
}

}  // namespace vltune::multimodal
