// generate_batch (multimodal/generate.h): greedy prompts of the fixed-size layout decode together.
//
//   prompts      left-padded to the longest: row i's L_i tokens sit at the end, mask 0 before them
//   positions    each row counts its own tokens from 0 (cumsum(mask) - 1), so the row's keys get the
//                rotary positions they get alone; the padded keys are masked out
//   step         one token per row at position L_i + step, the cache extended by one column
//   finished     a row stops at EOS or at its budget; once half the rows are done, the cache keeps
//                only the running ones (KVCache::select_rows)
//
// Every row's tokens are those generate() gives that prompt alone, up to float rounding in a near
// tie (test_generation: equal on the fixture models and on a trained base).
#include <algorithm>

#include "core/error.h"
#include "multimodal/generate.h"
#include "multimodal/generation_guards.h"
#include "multimodal/visual_batch.h"

namespace vltune::multimodal {

namespace {

// The prompts' embeddings left-padded into [B, longest, hidden], with the mask [B, longest] (CPU).
std::pair<torch::Tensor, torch::Tensor> left_padded_embeddings(VisionLanguageModelImpl& model, const std::vector<PreparedSample>& prompts,
                                                              const VideoPooling& pooling) {
  const auto device = model.language_model->embed_tokens->weight.device();
  std::vector<torch::Tensor> pixels;
  std::vector<bool> video;
  int64_t longest = 0;
  for (const auto& prompt : prompts) {
    pixels.push_back(prompt.pixels.defined() ? prompt.pixels.to(device) : torch::Tensor());
    video.push_back(prompt.video);
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompt.input_ids.size()));
  }
  const auto visual = visual_tokens_per_entry(model, pixels, video, pooling);
  std::vector<torch::Tensor> rows;
  auto mask = torch::zeros({static_cast<int64_t>(prompts.size()), longest}, torch::kInt64);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto length = static_cast<int64_t>(prompts[i].input_ids.size());
    const auto ids = torch::tensor(prompts[i].input_ids, torch::kInt64).unsqueeze(0);
    const auto embeds = model.embed_inputs(ids, visual[i].defined() ? visual[i].unsqueeze(0) : torch::Tensor());
    rows.push_back(torch::constant_pad_nd(embeds, {0, 0, longest - length, 0}));
    mask[static_cast<int64_t>(i)].narrow(0, longest - length, length).fill_(1);
  }
  return {torch::cat(rows), mask};
}

std::vector<std::vector<int64_t>> greedy_batch(VisionLanguageModelImpl& model, const std::vector<PreparedSample>& prompts,
                                               const language::GenerationOptions& options, const VideoPooling& pooling) {
  const auto rows = static_cast<int64_t>(prompts.size());
  std::vector<int64_t> next_position(rows), budget(rows);
  for (int64_t i = 0; i < rows; ++i) {
    next_position[i] = static_cast<int64_t>(prompts[i].input_ids.size());
    if (next_position[i] == 0) fail("[generate] the prompt of ", prompts[i].id, " has no tokens");
    check_prompt_fits(model, next_position[i], cat("the prompt of ", prompts[i].id));
    budget[i] = answer_budget(model, next_position[i], options.max_new_tokens);
  }
  std::vector<std::vector<int64_t>> answers(rows);
  if (options.max_new_tokens == 0) return answers;
  auto [embeds, mask] = left_padded_embeddings(model, prompts, pooling);
  language::KVCache cache;
  const auto device = embeds.device();
  auto hidden = model.language_model->forward(embeds, mask, &cache, (mask.cumsum(1) - 1).clamp_min(0));
  auto logits = model.lm_logits(hidden.narrow(1, hidden.size(1) - 1, 1)).squeeze(1);  // [running, vocab]
  std::vector<int64_t> running(rows);  // batch row -> prompt
  for (int64_t i = 0; i < rows; ++i) running[i] = i;
  std::vector<bool> done(rows, false);  // a finished row stays in the batch until the next compaction
  for (;;) {
    const auto tokens = logits.argmax(-1).cpu();
    const auto picked = tokens.accessor<int64_t, 1>();
    std::vector<int64_t> keep;  // batch rows still running
    for (std::size_t r = 0; r < running.size(); ++r) {
      const int64_t prompt = running[r], token = picked[static_cast<int64_t>(r)];
      if (done[prompt]) continue;
      done[prompt] = language::is_eos(token, options);
      if (done[prompt]) continue;
      answers[prompt].push_back(token);
      done[prompt] = static_cast<int64_t>(answers[prompt].size()) == budget[prompt];
      if (!done[prompt]) keep.push_back(static_cast<int64_t>(r));
    }
    if (keep.empty()) return answers;
    auto step_tokens = tokens;
    if (keep.size() * 2 <= running.size()) {  // compact: the finished rows' columns stop costing
      const auto kept = torch::tensor(keep, torch::kInt64);
      cache.select_rows(kept.to(device));
      step_tokens = tokens.index_select(0, kept);
      std::vector<int64_t> still;
      for (int64_t r : keep) still.push_back(running[r]);
      running = std::move(still);
    }
    std::vector<int64_t> positions;
    for (int64_t prompt : running) positions.push_back(next_position[prompt] + static_cast<int64_t>(answers[prompt].size()) - 1);
    const auto ids = step_tokens.to(device).view({-1, 1});
    const auto position_ids = torch::tensor(positions, torch::kInt64).view({-1, 1});
    hidden = model.language_model->forward(model.language_model->embed(ids), torch::ones_like(position_ids), &cache, position_ids);
    logits = model.lm_logits(hidden).squeeze(1);
  }
}

}  // namespace

std::vector<std::vector<int64_t>> generate_batch(VisionLanguageModelImpl& model, const std::vector<PreparedSample>& prompts,
                                                 const language::GenerationOptions& options, const VideoPooling& pooling) {
  language::check_generation_options(options, "[generate]");
  const bool together = options.strategy == "greedy" && prompts.size() > 1 &&
                        std::none_of(prompts.begin(), prompts.end(), in_patch_layout);
  if (!together) {
    std::vector<std::vector<int64_t>> answers;
    for (const auto& prompt : prompts) answers.push_back(generate(model, prompt, options, pooling));
    return answers;
  }
  torch::NoGradGuard no_grad;
  EvalModeScope eval(model);
  return greedy_batch(model, prompts, options, pooling);
}

}  // namespace vltune::multimodal
