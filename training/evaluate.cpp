#include "training/evaluate.h"

#include <cmath>

#include "core/error.h"
#include "training/batch.h"
#include "training/metrics.h"

namespace vltune::training {

namespace {
const std::vector<std::string> kTextMetrics = {"exact_match", "vqa_accuracy", "bleu4", "rouge_l", "cider_d"};
const std::vector<std::string> kAllMetrics = {"loss", "perplexity", "exact_match", "vqa_accuracy", "bleu4", "rouge_l", "cider_d"};

bool wants(const EvalSettings& settings, const std::string& metric) {
  return std::find(settings.metrics.begin(), settings.metrics.end(), metric) != settings.metrics.end();
}
}  // namespace

EvalSettings eval_settings(const Recipe& recipe) {
  EvalSettings settings;
  const YAML::Node metrics = recipe.find("eval.metrics");
  if (metrics.IsDefined() && metrics.IsSequence()) {
    for (const auto& m : metrics) {
      const auto name = m.as<std::string>();
      if (std::find(kAllMetrics.begin(), kAllMetrics.end(), name) == kAllMetrics.end())
        fail("[recipe] ", recipe.where("eval.metrics"), ": unknown metric '", name,
             "' (expected loss, perplexity, exact_match, vqa_accuracy, bleu4, rouge_l or cider_d)");
      settings.metrics.push_back(name);
    }
  } else {
    settings.metrics = {"loss"};
  }
  settings.batch_size = recipe.integer("eval.batch_size") > 0 ? recipe.integer("eval.batch_size") : recipe.integer("train.batch_size");
  settings.max_samples = recipe.integer("eval.max_samples");
  settings.max_new_tokens = recipe.integer("eval.max_new_tokens");
  settings.strategy = recipe.str("eval.strategy");
  settings.num_beams = recipe.integer("eval.num_beams");
  settings.temperature = recipe.number("eval.temperature");
  settings.top_p = recipe.number("eval.top_p");
  settings.seed = static_cast<uint64_t>(recipe.integer("train.seed"));
  return settings;
}

EvalResult evaluate(Backbone& backbone, const RunData& data, const EvalSettings& settings,
                    const multimodal::VideoPooling& pooling) {
  if (data.eval.empty()) fail("[eval] the recipe has no data.eval dataset to evaluate on");
  torch::NoGradGuard no_grad;
  auto& model = backbone.model();
  const auto count = settings.max_samples > 0 ? std::min<int64_t>(settings.max_samples, data.eval.size())
                                              : static_cast<int64_t>(data.eval.size());
  EvalResult result;
  double loss_sum = 0;
  int64_t target_tokens = 0;
  std::vector<datasets::PreparedSample> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    const auto batch = collate(pending, backbone.tokenizer.pad_id(), backbone.device);
    loss_sum += summed_loss(model, batch, pooling).item<double>();
    target_tokens += batch.target_tokens;
    pending.clear();
  };
  // A subset is spread evenly over the set, so that every dataset of a mixed eval set is in it.
  const auto total = static_cast<int64_t>(data.eval.size());
  for (int64_t i = 0; i < count; ++i) {
    auto prepared = data.preparer->prepare(data.eval[i * total / count], *data.bad);
    if (!prepared) continue;
    pending.push_back(std::move(*prepared));
    if (static_cast<int64_t>(pending.size()) == settings.batch_size) flush();
  }
  flush();
  if (target_tokens == 0) fail("[eval] no evaluation sample could be prepared (", data.bad->count(), " bad samples)");
  const double loss = loss_sum / static_cast<double>(target_tokens);
  if (wants(settings, "loss")) result.metrics["loss"] = loss;
  if (wants(settings, "perplexity")) result.metrics["perplexity"] = std::exp(loss);
  return result;
}

}  // namespace vltune::training
