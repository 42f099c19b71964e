// What every generation path (multimodal/generate.h: one prompt, or a batch) does around decoding:
// eval mode for the model and its attached adapters, and the answer's token budget within the
// model's positions.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "multimodal/llava.h"
#include "multimodal/prepared_sample.h"

namespace vltune::multimodal {

// Whether the prompt is in the patch layout (Qwen2-VL: patches with their grids, M-RoPE positions)
// rather than the fixed-size one (images or clip frames).
inline bool in_patch_layout(const PreparedSample& prompt) {
  return prompt.image_grid_thw.defined() || prompt.video_grid_thw.defined();
}

// Eval mode for the duration of a generation, for the model and the adapters attached to its
// Linear layers (they are modules of their own, outside the model), then each one's mode back.
class EvalModeScope {
 public:
  explicit EvalModeScope(VisionLanguageModelImpl& model);
  ~EvalModeScope();
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  std::vector<std::pair<torch::nn::Module*, bool>> modules_;
};

// A prompt must leave the answer a position: beyond max_position_embeddings the decoder's
// positions were never trained, and it answers noise ("a yellow yellow yellow ..."). Throws naming
// `prompt` when `positions_used` (visual tokens counted) leave none.
void check_prompt_fits(const VisionLanguageModelImpl& model, int64_t positions_used, const std::string& prompt);

// `max_new_tokens` cut to the positions the prompt leaves (with a warning when cut).
int64_t answer_budget(const VisionLanguageModelImpl& model, int64_t positions_used, int64_t max_new_tokens);

}  // namespace vltune::multimodal
