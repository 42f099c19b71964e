#include "training/trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "adapters/method_table.h"
#include "adapters/placement.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "core/memory_usage.h"
#include "datasets/loader.h"
#include "training/batch.h"
#include "training/checkpoint.h"
#include "training/distributed_run.h"
#include "training/evaluate.h"
#include "training/flat_adamw.h"
#include "training/preflight.h"
#include "training/run_directory.h"
#include "training/run_header.h"
#include "training/run_log.h"
#include "training/train_settings.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {

// The train.lr_scale.<component> a parameter takes: the vision head counts as vision, lm_head as language.
std::string lr_component(const std::string& param_name) {
  const auto component = adapters::component_of(param_name);
  if (component == "vision_head") return "vision";
  return component == "vision" || component == "projector" ? component : "language";
}

// RUN/eval/step-N.jsonl: each evaluated sample's generated answer beside its references.
void write_answers(const std::string& run_dir, int64_t step, const std::vector<GeneratedAnswer>& answers) {
  std::string lines;
  for (const auto& a : answers) lines += nlohmann::json{{"id", a.id}, {"prediction", a.prediction}, {"references", a.references}}.dump() + "\n";
  fs::create_directories(fs::path(run_dir) / "eval");
  write_file_atomically((fs::path(run_dir) / "eval" / cat("step-", step, ".jsonl")).string(), lines);
}

// Stops a run whose training diverged at `step`; the newest checkpoint is the last good one, since
// none is written from values that are not finite.
[[noreturn]] void stop_diverged(const std::string& run_dir, int64_t step, const std::string& what) {
  const auto kept = latest_checkpoint(run_dir);
  throw TrainingDiverged(cat("[train] step ", step, " of ", run_dir, ": ", what, "; training stopped (try a lower train.lr or train.precision: fp32). ",
                             kept ? "The last good checkpoint, " + *kept + ", is kept." : std::string("No checkpoint was written before it.")),
                         step, what);
}

// A resumed position must lie inside the dataset (a damaged state.json, or another dataset).
void check_position(const TrainState& state, int64_t samples, const std::string& checkpoint) {
  if (state.data.cursor >= samples)
    fail("[train] ", checkpoint, "/state.json: data_cursor ", state.data.cursor, " is beyond the training data's ", samples,
         " samples (a damaged file, or data.train changed since); nothing was written");
}

class NullBuffer : public std::streambuf {
  int overflow(int c) override { return c; }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One run: setup (the constructor), step() until done(), finish(). Members are declared in the
// order they are built; they are destroyed in reverse, so the loader stops before its data goes
// and the adapters are detached last. Every rank of a distributed launch builds one and calls it
// in step with the others (group_: a world of one without a launch, where the collectives do
// nothing); the main rank alone writes the run folder (run_log_ is null on the others).
class TrainingRun {
 public:
  TrainingRun(Backbone& backbone, const Recipe& recipe, const TrainRequest& request);
  bool done() const { return state_.step >= steps_; }
  void step();
  RunResult finish();

 private:
  void attach_adapters(const PreparedRun& prepared);
  void make_optimizer();
  void restore(const std::optional<std::string>& latest, const TrainRequest& request);
  void open_loader_and_log(const TrainRequest& request);
  std::vector<Batch> next_micro_batches();
  torch::Tensor accumulate_gradients(const std::vector<Batch>& micro_batches, int64_t targets);
  void save_checkpoint_now();
  Scalars evaluate_now(int64_t step);

  Backbone& backbone_;
  distributed::ProcessGroup alone_;
  distributed::ProcessGroup& group_;
  const TrainSettings settings_;
  RunResult result_;
  RunData data_;
  multimodal::VideoPooling pooling_;
  std::unique_ptr<adapters::AttachedSet> attached_;
  std::unique_ptr<FlatAdamW> optimizer_;
  TrainState state_;
  int64_t steps_ = 0;
  EvalSettings eval_;
  bool evaluating_ = false;
  std::unique_ptr<datasets::DataLoader<datasets::PreparedSample>> loader_;
  NullBuffer null_buffer_;
  std::ostream null_stream_{&null_buffer_};
  std::unique_ptr<RunLog> run_log_;
  std::chrono::steady_clock::time_point started_;
  int64_t tokens_ = 0, first_step_ = 0;
  double last_loss_ = NAN;
};

TrainingRun::TrainingRun(Backbone& backbone, const Recipe& recipe, const TrainRequest& request)
    : backbone_(backbone), group_(request.group ? *request.group : alone_), settings_(train_settings(recipe)) {
  result_.run_dir = run_directory(recipe, request.run_dir);  // run_directory.h: one rule for both
  const auto latest = latest_checkpoint(result_.run_dir);
  if (latest && !request.resume)
    fail("[train] ", result_.run_dir, " already holds checkpoints; pass --resume to continue it, or set output.dir elsewhere");

  torch::manual_seed(settings_.seed);
  backbone_.model().set_gradient_checkpointing(settings_.gradient_checkpointing);
  PreparedRun prepared = prepare_run(recipe, backbone_);  // every check before the first step (preflight.h)
  data_ = std::move(prepared.data);
  pooling_ = video_pooling(recipe);
  attach_adapters(prepared);
  make_optimizer();
  restore(latest, request);
  check_resumed_world(state_, group_, latest && request.resume ? *latest : std::string());
  if (group_.rank() > 0) torch::manual_seed(rank_seed(settings_.seed, group_.rank(), state_.step));
  state_.world_size = group_.size();
  // Only now that everything loaded (a failed --resume leaves the run's recipe.yaml as it was).
  if (group_.is_main()) {
    fs::create_directories(result_.run_dir);
    write_file_atomically((fs::path(result_.run_dir) / "recipe.yaml").string(), recipe.resolved_yaml(result_.run_dir));
  }

  steps_ = total_steps(settings_, static_cast<int64_t>(data_.train.size()), group_.size());
  if (const auto warning = warmup_warning(settings_, steps_); !warning.empty()) log_warning(warning);
  eval_ = std::move(prepared.eval);
  eval_.progress = request.quiet || !group_.is_main() ? nullptr : &std::cerr;
  evaluating_ = !data_.eval.empty();
  open_loader_and_log(request);
  if (group_.is_main())  // the global batch: every rank's micro-batches
    log_info(run_header_text({result_.run_dir, state_.step, static_cast<int64_t>(data_.train.size()),
                              static_cast<int64_t>(data_.eval.size()),
                              scored_eval_samples(eval_, static_cast<int64_t>(data_.eval.size())), data_.bad->count(),
                              result_.trainable_params, result_.model_params, steps_,
                              settings_.batch_size * settings_.grad_accum * group_.size()}));

  attached_->set->train(true);
  reset_peak_memory(backbone_.device);
  started_ = std::chrono::steady_clock::now();
  first_step_ = state_.step;
}

void TrainingRun::attach_adapters(const PreparedRun& prepared) {
  auto& model = backbone_.model();
  attached_ = std::make_unique<adapters::AttachedSet>(
      adapters::build_adapter_set(fs::path(result_.run_dir).filename().string(), prepared.plan, settings_.seed));
  for (const auto& site : prepared.in_place) attached_->set->train_in_place(site);
  const auto& set = *attached_->set;
  result_.trainable_params = set.num_trainable();
  for (const auto& entry : set.entries()) {
    const auto& spec = entry.adapter->spec();
    const auto name = adapters::method_name(spec.method);
    if (result_.methods.find(name) == std::string::npos) result_.methods += (result_.methods.empty() ? "" : "+") + name;
    if (adapters::method_info(spec.method).takes_rank) result_.rank = std::max(result_.rank, spec.rank);
  }
  for (const auto& p : model.parameters()) result_.model_params += p.numel();
}

void TrainingRun::make_optimizer() {
  AdamWOptions adamw;
  adamw.lr = settings_.lr;
  adamw.weight_decay = settings_.weight_decay;
  const auto no_decay = attached_->set->no_decay_parameters();
  optimizer_ = std::make_unique<FlatAdamW>(attached_->set->named_parameters(), adamw, [this, no_decay](const std::string& name) {
    ParamGroupOptions group;
    group.lr_scale = settings_.lr_scale.at(lr_component(name));
    group.weight_decay = no_decay.count(name) ? 0.0 : settings_.weight_decay;
    return group;
  });
}

void TrainingRun::restore(const std::optional<std::string>& latest, const TrainRequest& request) {
  if (latest && request.resume) {
    state_ = load_checkpoint(*latest, *attached_->set, *optimizer_, backbone_.multimodal());
    if (state_.rng_state.defined()) {
      auto generator = at::detail::getDefaultCPUGenerator();
      generator.set_state(state_.rng_state);
    }
    check_position(state_, static_cast<int64_t>(data_.train.size()), *latest);
    log_info(cat("resuming ", result_.run_dir, " from ", *latest, " (step ", state_.step, ")"));
  } else if (request.resume) {
    log_info(cat("no checkpoint in ", result_.run_dir, " yet: starting from the beginning"));
  }
}

void TrainingRun::open_loader_and_log(const TrainRequest& request) {
  datasets::LoaderOptions options;
  options.workers = settings_.workers;
  options.prefetch = settings_.prefetch;
  options.seed = settings_.seed;
  options.shard = group_.rank();  // the ranks' draws together are one process' stream
  options.shards = group_.size();
  loader_ = std::make_unique<datasets::DataLoader<datasets::PreparedSample>>(
      static_cast<int64_t>(data_.train.size()),
      [this](int64_t index) { return data_.preparer->prepare(data_.train[index], *data_.bad); }, options, state_.data);
  if (!group_.is_main()) return;
  run_log_ = std::make_unique<RunLog>(result_.run_dir, steps_, request.resume, request.quiet ? null_stream_ : std::cerr,
                                      request.quiet ? ProgressStyle::kPlain : ProgressStyle::kAuto);
  run_log_->set_start_step(state_.step);
}

// The step's grad_accum micro-batches of batch_size samples. The loader ends a stream in which no
// sample is usable; say why the samples were skipped.
std::vector<Batch> TrainingRun::next_micro_batches() {
  std::vector<Batch> micro_batches;
  for (int64_t m = 0; m < settings_.grad_accum; ++m) {
    std::vector<datasets::PreparedSample> samples;
    try {
      for (int64_t i = 0; i < settings_.batch_size; ++i) samples.push_back(loader_->next());
    } catch (const datasets::NoUsableSample& e) {
      const auto reasons = data_.bad->messages();
      fail("[train] ", result_.run_dir, ": ", e.what(), reasons.empty() ? std::string() : "; the last reason: " + reasons.back());
    }
    micro_batches.push_back(collate(samples, backbone_.tokenizer.pad_id(), backbone_.device, settings_.pack_length));
  }
  return micro_batches;
}

// Backward over the step's micro-batches into the gradient arena, each loss divided by the step's
// `targets` (every rank's), then the arena summed over the ranks: one all-reduce per optimizer
// step, after accumulation. Returns the loss summed over the step's target tokens, every rank's.
torch::Tensor TrainingRun::accumulate_gradients(const std::vector<Batch>& micro_batches, int64_t targets) {
  optimizer_->zero_grad();
  attached_->set->refresh_scales();  // DoRA's g for this step's parameters, all adapters at once
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(backbone_.device));
  for (const auto& batch : micro_batches) {
    if (batch.target_tokens == 0) continue;
    const auto loss = summed_loss(backbone_.model(), batch, pooling_);
    (loss / static_cast<double>(targets)).backward();
    loss_sum += loss.detach();
  }
  group_.sum(optimizer_->grads());
  group_.sum(loss_sum);
  return loss_sum;
}

void TrainingRun::step() {
  const auto step_started = std::chrono::steady_clock::now();
  const auto micro_batches = next_micro_batches();
  const double data_seconds = seconds_since(step_started);
  int64_t targets = 0, tokens = 0;
  for (const auto& batch : micro_batches) {
    targets += batch.target_tokens;
    tokens += batch.tokens;
  }
  // The loss is normalised by the whole step's target tokens, over every rank.
  const auto counts = sum_counts(group_, {targets, tokens});
  targets = counts[0];
  tokens_ += counts[1];
  const auto loss_sum = accumulate_gradients(micro_batches, targets);
  const double loss = targets > 0 ? loss_sum.item<double>() / static_cast<double>(targets) : 0.0;
  const double clip = settings_.clip_grad_norm;
  const double grad_norm = clip > 0 ? optimizer_->clip_grad_norm(clip) : optimizer_->grads().norm().item<double>();
  if (!std::isfinite(loss)) stop_diverged(result_.run_dir, state_.step + 1, cat("the loss is ", loss));
  if (!std::isfinite(grad_norm)) stop_diverged(result_.run_dir, state_.step + 1, cat("the gradient norm is ", grad_norm));
  const double lr = settings_.lr * schedule_factor(settings_.schedule, state_.step, settings_.warmup_steps, steps_);
  optimizer_->step(lr);
  ++state_.step;
  last_loss_ = loss;
  result_.loss_curve.emplace_back(state_.step, loss);
  if (run_log_ && (state_.step % settings_.log_every == 0 || state_.step == steps_))
    run_log_->step(state_.step, {{"loss", loss}, {"lr", lr}, {"grad_norm", grad_norm},
                                 {"tokens_per_s", static_cast<double>(tokens_) / seconds_since(started_)},
                                 {"step_time_ms", 1000.0 * seconds_since(step_started)}, {"data_ms", 1000.0 * data_seconds}});
  const bool last = state_.step == steps_;
  if (last || (settings_.save_every > 0 && state_.step % settings_.save_every == 0)) save_checkpoint_now();
  if (evaluating_ && !last && settings_.eval_every > 0 && state_.step % settings_.eval_every == 0) evaluate_now(state_.step);
}

void TrainingRun::save_checkpoint_now() {
  // A checkpoint is good by construction: never one of values the update made NaN or infinite.
  if (!torch::isfinite(optimizer_->values()).all().item<bool>())
    stop_diverged(result_.run_dir, state_.step, "the trained values are not finite after the update");
  state_.data = loader_->position();
  state_.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  if (group_.is_main()) save_checkpoint(result_.run_dir, *attached_->set, *optimizer_, state_, backbone_.multimodal(), settings_.keep_last);
}

Scalars TrainingRun::evaluate_now(int64_t step) {
  auto& set = *attached_->set;
  set.train(false);
  auto evaluated = evaluate(backbone_, data_, eval_, pooling_, &group_);  // every rank's answers, gathered
  set.train(true);
  if (!run_log_) return evaluated.metrics;
  run_log_->eval(step, evaluated.metrics);
  if (!evaluated.answers.empty()) write_answers(result_.run_dir, step, evaluated.answers);
  return evaluated.metrics;
}

RunResult TrainingRun::finish() {
  result_.seconds = seconds_since(started_);
  result_.steps = state_.step;
  const int64_t trained_steps = state_.step - first_step_;
  if (trained_steps > 0) result_.step_time_ms = 1000.0 * result_.seconds / static_cast<double>(trained_steps);
  if (result_.seconds > 0) result_.tokens_per_s = static_cast<double>(tokens_) / result_.seconds;
  result_.peak_memory_mib = static_cast<double>(peak_memory_bytes(backbone_.device)) / (1 << 20);
  if (evaluating_) result_.metrics = evaluate_now(state_.step);
  if (std::isfinite(last_loss_)) result_.metrics["train_loss"] = last_loss_;
  result_.bad_samples = data_.bad->count();
  RunSummary summary;
  summary.steps = state_.step;
  summary.tokens = tokens_;
  summary.bad_samples_skipped = result_.bad_samples;
  summary.final_metrics = result_.metrics;
  summary.device = backbone_.device.str();
  if (run_log_) run_log_->summary(summary);
  return result_;
}

}  // namespace

RunResult train(Backbone& backbone, const Recipe& recipe, const TrainRequest& request) {
  TrainingRun run(backbone, recipe, request);
  while (!run.done()) run.step();
  return run.finish();
}

}  // namespace vltune::training
