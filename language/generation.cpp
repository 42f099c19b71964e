#include "language/generation.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "core/error.h"

namespace vltune::language {

bool is_eos(int64_t token, const GenerationOptions& options) {
  return std::find(options.eos_token_ids.begin(), options.eos_token_ids.end(), token) != options.eos_token_ids.end();
}

namespace {

torch::Tensor one_token(int64_t token, const torch::Tensor& like) {
  return torch::full({1}, token, torch::TensorOptions().dtype(torch::kInt64).device(like.device()));
}

// Greedy and sampling share the loop: one row, a token chosen from each step's logits.
template <class Choose>
std::vector<int64_t> decode_one_row(torch::Tensor logits, KVCache& cache, const NextTokenLogits& next_logits,
                                    const GenerationOptions& options, Choose choose) {
  std::vector<int64_t> tokens;
  while (static_cast<int64_t>(tokens.size()) < options.max_new_tokens) {
    const int64_t token = choose(logits.to(torch::kFloat32));
    if (is_eos(token, options)) break;
    tokens.push_back(token);
    if (static_cast<int64_t>(tokens.size()) == options.max_new_tokens) break;
    logits = next_logits(one_token(token, logits), cache).squeeze(0);
  }
  return tokens;
}

struct Hypothesis {
  std::vector<int64_t> tokens;  // EOS excluded
  float score;                  // summed log-probability / length (EOS counted)
};

std::vector<int64_t> beam_search(const torch::Tensor& first_logits, KVCache& cache, const NextTokenLogits& next_logits,
                                 const GenerationOptions& options) {
  const int64_t beams = options.num_beams, vocab = first_logits.size(-1);
  const auto device = first_logits.device();
  // All beams start as the prompt; only the first counts, so the first step picks from one row.
  cache.select_rows(torch::zeros({beams}, torch::TensorOptions().dtype(torch::kInt64).device(device)));
  auto logits = first_logits.unsqueeze(0).expand({beams, vocab});
  auto running_scores = torch::full({beams}, -1e9f, torch::kFloat32);
  running_scores[0] = 0.0f;
  std::vector<std::vector<int64_t>> running(beams);
  std::vector<Hypothesis> finished;  // the best `beams` so far, best first
  const int64_t candidates = std::min(std::max<int64_t>(2, 1 + options.eos_token_ids.size()) * beams, beams * vocab);

  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    const int64_t length = step + 1;  // of every sequence after this step
    auto log_probs = torch::log_softmax(logits.to(torch::kFloat32), -1).to(torch::kCPU);
    auto totals = (log_probs + running_scores.unsqueeze(1)).reshape({-1});
    auto [top_scores, top_indices] = totals.topk(candidates);
    const auto scores = top_scores.accessor<float, 1>();
    const auto indices = top_indices.accessor<int64_t, 1>();

    std::vector<int64_t> next_rows, next_tokens;
    std::vector<float> next_scores;
    for (int64_t j = 0; j < candidates; ++j) {
      const int64_t beam = indices[j] / vocab, token = indices[j] % vocab;
      const bool eos = is_eos(token, options);
      if (eos || length == options.max_new_tokens) {
        if (j >= beams) continue;  // only the num_beams best candidates may finish
        auto tokens = running[beam];
        if (!eos) tokens.push_back(token);
        finished.push_back({std::move(tokens), scores[j] / static_cast<float>(length)});
      } else if (static_cast<int64_t>(next_rows.size()) < beams) {
        next_rows.push_back(beam);
        next_tokens.push_back(token);
        next_scores.push_back(scores[j]);
      }
    }
    std::stable_sort(finished.begin(), finished.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (static_cast<int64_t>(finished.size()) > beams) finished.resize(beams);
    if (next_rows.empty() || length == options.max_new_tokens) break;
    // Done when num_beams sequences are finished and the best running one cannot beat the worst of them.
    if (static_cast<int64_t>(finished.size()) == beams && next_scores[0] / static_cast<float>(length) <= finished.back().score)
      break;

    std::vector<std::vector<int64_t>> reordered;
    for (std::size_t i = 0; i < next_rows.size(); ++i) {
      reordered.push_back(running[next_rows[i]]);
      reordered.back().push_back(next_tokens[i]);
    }
    running = std::move(reordered);
    running_scores = torch::tensor(next_scores, torch::kFloat32);
    cache.select_rows(torch::tensor(next_rows, torch::kInt64).to(device));
    logits = next_logits(torch::tensor(next_tokens, torch::kInt64).to(device), cache);
  }
  return finished.empty() ? std::vector<int64_t>{} : finished.front().tokens;
}

}  // namespace

void check_generation_options(const GenerationOptions& options, const std::string& where) {
  if (options.strategy != "greedy" && options.strategy != "beam" && options.strategy != "sample")
    fail(where, ": unknown generation strategy '", options.strategy, "' (expected greedy, beam or sample)");
  if (options.max_new_tokens < 0) fail(where, ": max_new_tokens must be >= 0, got ", options.max_new_tokens);
  if (options.num_beams < 1) fail(where, ": num_beams must be >= 1, got ", options.num_beams);
  if (!(options.temperature > 0)) fail(where, ": temperature must be > 0, got ", options.temperature);
  if (!(options.top_p > 0 && options.top_p <= 1)) fail(where, ": top_p must be in (0, 1], got ", options.top_p);
}

torch::Tensor top_p_filter(const torch::Tensor& probs, double top_p) {
  auto [sorted, order] = probs.sort(/*dim=*/-1, /*descending=*/true);
  // A token stays when the mass of the more likely tokens before it has not reached top_p yet.
  auto mass_before = sorted.cumsum(-1) - sorted;
  auto keep_sorted = mass_before < top_p;
  auto keep = torch::zeros_like(keep_sorted).scatter(-1, order, keep_sorted);
  return probs * keep.to(probs.scalar_type());
}

std::vector<int64_t> generate_tokens(const torch::Tensor& first_logits, KVCache cache, const NextTokenLogits& next_logits,
                                     const GenerationOptions& options) {
  check_generation_options(options, "[generate]");
  if (first_logits.dim() != 1) fail("[generate] first_logits must be [vocab], got ", first_logits.sizes());
  if (options.max_new_tokens == 0) return {};
  if (options.strategy == "beam") return beam_search(first_logits, cache, next_logits, options);
  if (options.strategy == "greedy")
    return decode_one_row(first_logits, cache, next_logits, options,
                          [](const torch::Tensor& logits) { return logits.argmax().item<int64_t>(); });
  auto generator = at::detail::createCPUGenerator(options.seed);
  return decode_one_row(first_logits, cache, next_logits, options, [&](const torch::Tensor& logits) {
    auto probs = torch::softmax(logits.to(torch::kCPU, torch::kFloat64) / options.temperature, -1);
    if (options.top_p < 1) probs = top_p_filter(probs, options.top_p);
    return torch::multinomial(probs, 1, /*replacement=*/false, generator).item<int64_t>();
  });
}

}  // namespace vltune::language
