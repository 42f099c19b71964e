#include "multimodal/generation_guards.h"

#include "core/error.h"
#include "core/log.h"

namespace vltune::multimodal {

EvalModeScope::EvalModeScope(VisionLanguageModelImpl& model) {
  modules_.emplace_back(&model, model.is_training());
  for (const auto& module : model.modules(/*include_self=*/false))
    if (const auto* linear = dynamic_cast<const LinearImpl*>(module.get()); linear && linear->adapter)
      if (auto* adapter = dynamic_cast<torch::nn::Module*>(linear->adapter)) modules_.emplace_back(adapter, adapter->is_training());
  for (auto& [module, was_training] : modules_) module->eval();
}

EvalModeScope::~EvalModeScope() {
  for (auto& [module, was_training] : modules_) module->train(was_training);
}

void check_prompt_fits(const VisionLanguageModelImpl& model, int64_t positions_used, const std::string& prompt) {
  const int64_t positions = model.config().text.max_position_embeddings;
  if (positions_used >= positions)
    fail("[generate] ", prompt, " has ", positions_used, " tokens (visual tokens included) but the model has ", positions,
         " positions (max_position_embeddings), leaving none for the answer: use fewer video frames or pool them "
         "(--num-frames, --spatial-pool, --temporal-pool mean; data.num_frames, data.spatial_pool, data.temporal in a recipe), "
         "or a shorter prompt");
}

int64_t answer_budget(const VisionLanguageModelImpl& model, int64_t positions_used, int64_t max_new_tokens) {
  const int64_t positions = model.config().text.max_position_embeddings, room = positions - positions_used;
  if (max_new_tokens <= room) return max_new_tokens;
  log_warning(cat("[generate] the prompt's ", positions_used, " positions leave ", room, " of the model's ", positions,
                  ": at most ", room, " new tokens, not ", max_new_tokens));
  return room;
}

}  // namespace vltune::multimodal
