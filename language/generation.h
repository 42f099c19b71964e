// Decoding strategies over a KV-cached decoder: greedy, beam search, temperature / top-p sampling.
//
// They see the model only through `first_logits` (the prompt's last position, [vocab]) and a
// `next_logits(tokens [B], cache) -> [B, vocab]` step, so they work for any decoder that keeps a
// KVCache (multimodal/generate.h feeds them a VisionLanguageModel). Scores are computed in fp32
// from the logits, as transformers does.
//
//   greedy   t = argmax logits
//   sample   p = softmax(logits / temperature), cut to the smallest set of most likely tokens
//            whose mass reaches top_p, renormalised; t ~ p drawn with a CPU generator seeded by
//            `seed` (the same seed gives the same tokens on every device)
//   beam     transformers' default beam search (length_penalty 1.0, early_stopping false): every
//            step keeps the num_beams best running sequences by summed log-probability, among the
//            2 * num_beams best continuations; a continuation ending in EOS, or reaching
//            max_new_tokens, among the num_beams best is finished with score sum / length (EOS
//            counted). The search stops when every token budget is spent or when num_beams finished
//            sequences all score at least the best running sum / its length; the best finished wins.
//
// Generation stops at an EOS id (not returned) or after max_new_tokens tokens.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "language/llama.h"

namespace vltune::language {

struct GenerationOptions {
  std::string strategy = "greedy";  // greedy | beam | sample
  int64_t max_new_tokens = 32;
  int64_t num_beams = 4;       // beam
  double temperature = 1.0;    // sample: > 0
  double top_p = 1.0;          // sample: in (0, 1]
  uint64_t seed = 0;           // sample
  std::vector<int64_t> eos_token_ids;  // empty: run to max_new_tokens
};

// Whether `token` is one of options.eos_token_ids, where generation stops.
bool is_eos(int64_t token, const GenerationOptions& options);

// Throws naming `where` when a field is out of range or the strategy is unknown.
void check_generation_options(const GenerationOptions& options, const std::string& where);

// The next-token logits [B, vocab] after appending `tokens` [B] (int64) to each row of `cache`.
using NextTokenLogits = std::function<torch::Tensor(const torch::Tensor& tokens, KVCache& cache)>;

// The new tokens after a prompt whose last-position logits are `first_logits` [vocab] and whose
// keys and values fill `cache` (one row). EOS is not included.
std::vector<int64_t> generate_tokens(const torch::Tensor& first_logits, KVCache cache, const NextTokenLogits& next_logits,
                                     const GenerationOptions& options);

// Sampling's filter on its own, for tests: probabilities [vocab] (summing to 1) -> the same with
// every token outside the smallest most-likely set reaching `top_p` zeroed (not renormalised).
torch::Tensor top_p_filter(const torch::Tensor& probs, double top_p);

}  // namespace vltune::language
