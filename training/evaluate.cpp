#include "training/evaluate.h"

#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/yaml_util.h"
#include "distributed/process_group.h"
#include "multimodal/generate.h"
#include "training/batch.h"
#include "training/eval_progress.h"
#include "training/metrics.h"

namespace vltune::training {

namespace {
const std::vector<std::string> kTextMetrics = {"exact_match", "vqa_accuracy", "bleu4", "rouge_l", "cider_d"};
const std::vector<std::string> kAllMetrics = {"loss", "perplexity", "exact_match", "vqa_accuracy", "bleu4", "rouge_l", "cider_d"};

bool wants(const EvalSettings& settings, const std::string& metric) {
  return std::find(settings.metrics.begin(), settings.metrics.end(), metric) != settings.metrics.end();
}

// The prompts waiting for an answer, answered eval.batch_size at a time (multimodal::generate_batch).
class PendingAnswers {
 public:
  PendingAnswers(Backbone& backbone, const EvalSettings& settings, const multimodal::VideoPooling& pooling)
      : backbone_(backbone), settings_(settings), pooling_(pooling) {}

  // `sample`'s conversation up to its last answer, with the pixels of `prepared` (what prepare()
  // made of it) when it could be prepared, so the media is decoded once; skipped as a bad sample
  // when its media cannot be decoded. `place` is its index in the eval order.
  void add(const datasets::SamplePreparer& preparer, const datasets::Sample& sample,
           const std::optional<datasets::PreparedSample>& prepared, int64_t place, datasets::BadSamples& bad) {
    try {
      prompts_.push_back(prepared ? preparer.prepare_prompt(sample, *prepared) : preparer.prepare_prompt(sample));
    } catch (const Error& e) {
      bad.report(sample.id, e.what());
      return;
    }
    samples_.push_back(&sample);
    places_.push_back(place);
    if (static_cast<int64_t>(prompts_.size()) >= settings_.batch_size) flush();
  }

  void flush() {
    if (prompts_.empty()) return;
    const auto ids = multimodal::generate_batch(backbone_.model(), prompts_, settings_.generation, pooling_);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      answers.push_back({samples_[k]->id, backbone_.tokenizer.decode(ids[k]), samples_[k]->references});
      places.push_back(places_[k]);
    }
    prompts_.clear();
    samples_.clear();
    places_.clear();
  }

  std::vector<GeneratedAnswer> answers;
  std::vector<int64_t> places;  // each answer's index in the eval order

 private:
  Backbone& backbone_;
  const EvalSettings& settings_;
  const multimodal::VideoPooling& pooling_;
  std::vector<datasets::PreparedSample> prompts_;
  std::vector<const datasets::Sample*> samples_;
  std::vector<int64_t> places_;
};

// Length-prefixed strings ("5:hello"): generated text may be any bytes, not only UTF-8.
void put(std::string& out, const std::string& text) { out += std::to_string(text.size()) + ":" + text; }
std::string take(const std::string& in, std::size_t& at) {
  const auto colon = in.find(':', at);
  const auto length = std::stoull(in.substr(at, colon - at));
  at = colon + 1 + length;
  return in.substr(colon + 1, length);
}

// Every rank's answers (each tagged with its sample's place in the eval order), in that order.
std::vector<GeneratedAnswer> gather_answers(distributed::ProcessGroup& group, const std::vector<GeneratedAnswer>& answers,
                                            const std::vector<int64_t>& places) {
  std::string mine;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    put(mine, std::to_string(places[i]));
    put(mine, answers[i].id);
    put(mine, answers[i].prediction);
    put(mine, std::to_string(answers[i].references.size()));
    for (const auto& reference : answers[i].references) put(mine, reference);
  }
  std::vector<std::pair<int64_t, GeneratedAnswer>> all;
  for (const auto& bytes : group.all_gather(mine))
    for (std::size_t at = 0; at < bytes.size();) {
      const auto place = std::stoll(take(bytes, at));
      GeneratedAnswer answer;
      answer.id = take(bytes, at);
      answer.prediction = take(bytes, at);
      answer.references.resize(std::stoull(take(bytes, at)));
      for (auto& reference : answer.references) reference = take(bytes, at);
      all.emplace_back(place, std::move(answer));
    }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<GeneratedAnswer> gathered;
  for (auto& entry : all) gathered.push_back(std::move(entry.second));
  return gathered;
}

void score_answers(const EvalSettings& settings, EvalResult& result) {
  if (result.answers.empty()) fail("[eval] no evaluation sample could be answered");
  std::vector<std::string> predictions;
  std::vector<std::vector<std::string>> references;
  for (const auto& answer : result.answers) {
    predictions.push_back(answer.prediction);
    references.push_back(answer.references);
  }
  // The mean of the per-item scores that `vltune compare` records (training/answer_scores.h).
  for (const auto& metric : settings.metrics)
    if (has_item_scores(metric)) {
      double sum = 0;
      for (double score : item_scores(metric, predictions, references)) sum += score;
      result.metrics[metric] = sum / static_cast<double>(predictions.size());
    }
  if (wants(settings, "bleu4")) result.metrics["bleu4"] = bleu4(predictions, references);
}
}  // namespace

EvalSettings eval_settings(const Recipe& recipe, const Backbone& backbone) {
  EvalSettings settings;
  const YAML::Node metrics = recipe.find("eval.metrics");
  if (metrics.IsDefined() && metrics.IsSequence()) {
    for (const auto& m : metrics) {
      const auto name = yaml_string(recipe.origin_file("eval.metrics"), m, "eval.metrics");
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
  auto& generation = settings.generation;
  generation.max_new_tokens = recipe.integer("eval.max_new_tokens");
  generation.strategy = recipe.str("eval.strategy");
  generation.num_beams = recipe.integer("eval.num_beams");
  generation.temperature = recipe.number("eval.temperature");
  generation.top_p = recipe.number("eval.top_p");
  generation.seed = static_cast<uint64_t>(recipe.integer("train.seed"));
  generation.eos_token_ids = multimodal::eos_token_ids(backbone.loaded.dir);
  if (generation.eos_token_ids.empty() && backbone.tokenizer.eos_id() >= 0) generation.eos_token_ids = {backbone.tokenizer.eos_id()};
  language::check_generation_options(generation, recipe.where("eval"));
  return settings;
}

EvalResult evaluate(Backbone& backbone, const RunData& data, const EvalSettings& settings,
                    const multimodal::VideoPooling& pooling, distributed::ProcessGroup* group) {
  if (data.eval.empty()) fail("[eval] the recipe has no data.eval dataset to evaluate on");
  torch::NoGradGuard no_grad;
  auto& model = backbone.model();
  const auto count = scored_eval_samples(settings, static_cast<int64_t>(data.eval.size()));
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
  const bool generating = std::any_of(kTextMetrics.begin(), kTextMetrics.end(), [&](const auto& m) { return wants(settings, m); });
  const int64_t rank = group ? group->rank() : 0, ranks = group ? group->size() : 1;
  PendingAnswers answering(backbone, settings, pooling);
  EvalProgress progress(rank == 0 ? settings.progress : nullptr, count, is_terminal(settings.progress));
  for (int64_t i = rank; i < count; i += ranks) {
    progress.done(i);
    const auto& sample = data.eval[i * total / count];
    auto prepared = data.preparer->prepare(sample, *data.bad);
    if (generating) answering.add(*data.preparer, sample, prepared, i, *data.bad);
    if (!prepared) continue;
    pending.push_back(std::move(*prepared));
    if (static_cast<int64_t>(pending.size()) == settings.batch_size) flush();
  }
  flush();
  answering.flush();
  result.answers = std::move(answering.answers);
  if (ranks > 1) {
    const auto sums = torch::tensor({loss_sum, static_cast<double>(target_tokens)}, torch::kFloat64);
    group->sum(sums);
    loss_sum = sums[0].item<double>();
    target_tokens = static_cast<int64_t>(sums[1].item<double>());
    if (generating) result.answers = gather_answers(*group, result.answers, answering.places);
  }
  progress.done(count);
  if (target_tokens == 0) fail("[eval] no evaluation sample could be prepared (", data.bad->count(), " bad samples)");
  const double loss = loss_sum / static_cast<double>(target_tokens);
  if (wants(settings, "loss")) result.metrics["loss"] = loss;
  if (wants(settings, "perplexity")) result.metrics["perplexity"] = std::exp(loss);
  if (generating) score_answers(settings, result);
  return result;
}

}  // namespace vltune::training
