// Evaluation of the model as it stands (adapters attached) on a run's eval set:
//   loss        mean cross-entropy over every target token of the set; perplexity = exp(loss)
//   text metrics (exact_match, vqa_accuracy, bleu4, rouge_l, cider_d): the model generates an
//               answer to each sample's conversation up to its last answer, scored against the
//               sample's references (training/metrics.h).
#pragma once
#include <algorithm>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "language/generation.h"
#include "training/recipe.h"
#include "training/run_setup.h"

namespace vltune::distributed {
class ProcessGroup;
}

namespace vltune::training {

struct EvalSettings {
  std::vector<std::string> metrics;
  int64_t batch_size = 8;
  int64_t max_samples = 0;  // 0: all
  language::GenerationOptions generation;  // for the text metrics; EOS from the model folder
  std::ostream* progress = nullptr;        // where "eval 40/200" is shown (eval_progress.h); nullptr: nowhere
};

EvalSettings eval_settings(const Recipe& recipe, const Backbone& backbone);

// How many of the eval set's `available` samples an evaluation scores: all, or the first
// eval.max_samples of them.
inline int64_t scored_eval_samples(const EvalSettings& settings, int64_t available) {
  return settings.max_samples > 0 ? std::min(settings.max_samples, available) : available;
}

struct GeneratedAnswer {
  std::string id, prediction;
  std::vector<std::string> references;
};

struct EvalResult {
  std::map<std::string, double> metrics;  // metric name -> value
  std::vector<GeneratedAnswer> answers;   // when text metrics were asked for (the trainer keeps
                                          // them in RUN/eval/step-N.jsonl)
};

// The caller puts the adapters in eval mode (no dropout). Samples the preparer drops are reported
// to data.bad, as in training. With a process group of several ranks (every rank calls this),
// rank r evaluates the samples r, r + size, ...; the loss sums and the generated answers are
// gathered before scoring, in the samples' order, so every rank returns a single process' metrics.
EvalResult evaluate(Backbone& backbone, const RunData& data, const EvalSettings& settings,
                    const multimodal::VideoPooling& pooling, distributed::ProcessGroup* group = nullptr);

}  // namespace vltune::training
