// Generation from a VisionLanguageModel: the prompt (text ids with its visual tokens) is run once
// through the decoder, filling a KV cache, then language/generation.h's strategy adds one token
// per step, each step a forward over the new token only.
//
//   prefill  embeds = embed_inputs(ids, visual features) -> decoder (cache filled) -> lm_head(last)
//   step     embeds = embed_tokens(new tokens)           -> decoder (cache extended) -> lm_head
//
// The API the trainer's evaluation and `vltune generate` call:
//
//   language::GenerationOptions options;            // strategy, max_new_tokens, num_beams, temperature,
//   options.eos_token_ids = {tokenizer.eos_id()};   // top_p, seed, eos_token_ids
//   auto prompt = preparer.prepare_prompt(sample);  // datasets/prepare.h
//   std::vector<int64_t> answer = multimodal::generate(*model, prompt, options, pooling);
//
// A prompt that leaves the model no position for the answer (max_position_embeddings, visual
// tokens counted) is an error naming it; max_new_tokens is cut to the positions left, with a warning.
//
// It runs under NoGradGuard with the model and its attached adapters in eval mode (no adapter
// dropout; their modes are restored after); adapters apply through the Linear slot as in any forward.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "language/generation.h"
#include "multimodal/llava.h"
#include "multimodal/prepared_sample.h"

namespace vltune::multimodal {

// One prompt, its ids [L] (int64) and its visual tokens already projected ([N, tokens, hidden] or
// [tokens, hidden]; undefined for none) -> the new token ids, EOS excluded.
std::vector<int64_t> generate(VisionLanguageModelImpl& model, const torch::Tensor& input_ids,
                              const torch::Tensor& visual_features, const language::GenerationOptions& options);

// The same for a prepared prompt: its images, or its clip's frames pooled by `pooling`, are
// encoded first. A prompt in the patch layout (grids given) is encoded by the model's family,
// whose position ids (M-RoPE) the prefill takes; each new token then sits at the prompt's last
// position + 1 + its step (transformers' rope_deltas).
std::vector<int64_t> generate(VisionLanguageModelImpl& model, const PreparedSample& prompt,
                              const language::GenerationOptions& options, const VideoPooling& pooling);

// Several prompts, each answer what generate() gives that prompt alone (up to float rounding in a
// near tie). Greedy prompts of the fixed-size layout decode as one left-padded batch
// (generate_batch.cpp); the patch layout (M-RoPE) and beam search or sampling take one prompt at
// a time.
std::vector<std::vector<int64_t>> generate_batch(VisionLanguageModelImpl& model, const std::vector<PreparedSample>& prompts,
                                                 const language::GenerationOptions& options, const VideoPooling& pooling);

// The model folder's end-of-sequence ids: generation_config.json's eos_token_id (an id or a
// list), else config.json's (text_config's for llava); empty when neither names one.
std::vector<int64_t> eos_token_ids(const std::string& model_dir);

// The prefill on its own: the prompt's last-position logits [vocab], with `cache` (empty on entry)
// holding the prompt's keys and values. generate() = this, then the strategy.
// `visual` may carry the family's video tokens and position ids ([3, 1, L]; undefined: 0..L-1).
torch::Tensor prefill(VisionLanguageModelImpl& model, const torch::Tensor& input_ids, const VisualTokens& visual,
                      language::KVCache& cache);
torch::Tensor prefill(VisionLanguageModelImpl& model, const torch::Tensor& input_ids, const torch::Tensor& visual_features,
                      language::KVCache& cache);

// The step strategies call: logits [B, vocab] after appending `tokens` [B] to the cache's rows, at
// position cache.length() + position_offset (the prompt's rope delta; 0 for 1-D positions).
torch::Tensor next_token_logits(VisionLanguageModelImpl& model, const torch::Tensor& tokens, language::KVCache& cache,
                                int64_t position_offset = 0);

}  // namespace vltune::multimodal
