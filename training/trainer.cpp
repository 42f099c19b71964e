#include "training/trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include "adapters/placement.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "core/memory_usage.h"
#include "datasets/loader.h"
#include "training/distributed_run.h"
#include "training/batch.h"
#include "training/checkpoint.h"
#include "training/evaluate.h"
#include "training/flat_adamw.h"
#include "training/run_log.h"

namespace fs = std::filesystem;

namespace vltune::training {

std::string run_directory(const Recipe& recipe) {
  auto dir = recipe.str("output.dir");
  if (const auto at = dir.find("NAME"); at != std::string::npos) dir.replace(at, 4, fs::path(recipe.path()).stem().string());
  if (fs::path(dir).is_absolute()) return dir;
  return (fs::path(recipe.origin_file("output.dir")).parent_path() / dir).lexically_normal().string();
}

namespace {

// Adapters attached for the run and detached whatever happens, leaving the backbone as found.
struct AttachedSet {
  std::unique_ptr<adapters::AdapterSet> set;
  explicit AttachedSet(std::unique_ptr<adapters::AdapterSet> s) : set(std::move(s)) { set->attach(); }
  ~AttachedSet() { set->detach(); }
};

// The train.lr_scale.<component> a parameter takes: the vision head counts as vision, lm_head as language.
std::string lr_component(const std::string& param_name) {
  const auto component = adapters::component_of(param_name);
  if (component == "vision_head") return "vision";
  return component == "vision" || component == "projector" ? component : "language";
}

// A schedule shortened by --set train.steps can leave the run in warm-up: say so.
void warn_about_warmup(const Recipe& recipe, int64_t steps) {
  const int64_t warmup = recipe.integer("train.warmup_steps");
  if (steps > 0 && warmup * 2 >= steps)
    log_warning(cat("train.warmup_steps (", warmup, ") is at least half of the run's ", steps,
                    " steps: most of the run trains below the peak learning rate (", recipe.where("train.warmup_steps"), ")"));
}

int64_t total_steps(const Recipe& recipe, int64_t samples, int world_size) {
  if (recipe.integer("train.steps") > 0) return recipe.integer("train.steps");
  const double per_step = static_cast<double>(recipe.integer("train.batch_size") * recipe.integer("train.grad_accum") * world_size);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(recipe.number("train.epochs") * samples / per_step)));
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
  fail("[train] step ", step, " of ", run_dir, ": ", what, "; training stopped (try a lower train.lr or train.precision: fp32). ",
       kept ? "The last good checkpoint, " + *kept + ", is kept." : std::string("No checkpoint was written before it."));
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

}  // namespace

RunResult train(Backbone& backbone, const Recipe& recipe, const TrainRequest& request) {
  distributed::ProcessGroup alone;
  auto& group = request.group ? *request.group : alone;  // rank 0 alone writes the run's files
  RunResult result;
  result.run_dir = request.run_dir.empty() ? run_directory(recipe) : request.run_dir;
  const auto latest = latest_checkpoint(result.run_dir);
  if (latest && !request.resume)
    fail("[train] ", result.run_dir, " already holds checkpoints; pass --resume to continue it, or set output.dir elsewhere");

  const auto seed = static_cast<uint64_t>(recipe.integer("train.seed"));
  torch::manual_seed(seed);
  auto& model = backbone.model();
  model.set_gradient_checkpointing(recipe.boolean("train.gradient_checkpointing"));
  RunData data = load_run_data(recipe, backbone);
  const auto pooling = video_pooling(recipe);

  const auto placement = adapters::parse_placement(recipe.find("adapters"), recipe.origin_file("adapters"));
  const auto plan = adapters::plan_adapters(placement, adapters::linear_sites(model));
  AttachedSet attached(adapters::build_adapter_set(fs::path(result.run_dir).filename().string(), plan, seed));
  auto& set = *attached.set;
  result.trainable_params = set.num_trainable();
  for (const auto& entry : set.entries()) {
    const auto& spec = entry.adapter->spec();
    const auto name = adapters::method_name(spec.method);
    if (result.methods.find(name) == std::string::npos) result.methods += (result.methods.empty() ? "" : "+") + name;
    if (spec.method != adapters::Method::kFull && spec.method != adapters::Method::kMagnitude) result.rank = std::max(result.rank, spec.rank);
  }
  for (const auto& p : model.parameters()) result.model_params += p.numel();

  AdamWOptions adamw;
  adamw.lr = recipe.number("train.lr");
  adamw.weight_decay = recipe.number("train.weight_decay");
  std::map<std::string, double> lr_scale;
  for (const char* component : {"vision", "projector", "language"})
    lr_scale[component] = recipe.number(std::string("train.lr_scale.") + component);
  FlatAdamW optimizer(set.named_parameters(), adamw, [&](const std::string& name) {
    ParamGroupOptions group;
    group.lr_scale = lr_scale.at(lr_component(name));
    const bool no_decay = ends_with(name, ".magnitude") || ends_with(name, ".bias") || ends_with(name, ".lambda_b") ||
                          ends_with(name, ".lambda_d");
    group.weight_decay = no_decay ? 0.0 : adamw.weight_decay;
    return group;
  });

  TrainState state;
  if (latest && request.resume) {
    state = load_checkpoint(*latest, set, optimizer, backbone.multimodal());
    if (state.rng_state.defined()) {
      auto generator = at::detail::getDefaultCPUGenerator();
      generator.set_state(state.rng_state);
    }
    check_position(state, static_cast<int64_t>(data.train.size()), *latest);
    log_info(cat("resuming ", result.run_dir, " from ", *latest, " (step ", state.step, ")"));
  } else if (request.resume) {
    log_info(cat("no checkpoint in ", result.run_dir, " yet: starting from the beginning"));
  }
  check_resumed_world(state, group, latest && request.resume ? *latest : std::string());
  if (group.rank() > 0) torch::manual_seed(rank_seed(seed, group.rank(), state.step));
  state.world_size = group.size();
  // Only now that everything loaded (a failed --resume leaves the run's recipe.yaml as it was).
  if (group.is_main()) {
    fs::create_directories(result.run_dir);
    write_file_atomically((fs::path(result.run_dir) / "recipe.yaml").string(), recipe.resolved_yaml(result.run_dir));
  }

  const int64_t batch_size = recipe.integer("train.batch_size"), accumulation = recipe.integer("train.grad_accum");
  const int64_t steps = total_steps(recipe, static_cast<int64_t>(data.train.size()), group.size());
  warn_about_warmup(recipe, steps);
  const int64_t save_every = recipe.integer("output.save_every"), eval_every = recipe.integer("eval.every");
  const int64_t log_every = std::max<int64_t>(1, recipe.integer("output.log_every"));
  const int keep_last = static_cast<int>(recipe.integer("output.keep_last"));
  const double clip = recipe.number("train.clip_grad_norm");
  const auto eval = eval_settings(recipe, backbone);
  const bool evaluating = !data.eval.empty();

  datasets::LoaderOptions loader_options;
  loader_options.workers = static_cast<int>(recipe.integer("data.workers"));
  loader_options.prefetch = static_cast<int>(recipe.integer("data.prefetch"));
  loader_options.seed = seed;
  loader_options.shard = group.rank();  // the ranks' draws together are one process' stream
  loader_options.shards = group.size();
  datasets::DataLoader<datasets::PreparedSample> loader(
      static_cast<int64_t>(data.train.size()),
      [&](int64_t index) { return data.preparer->prepare(data.train[index], *data.bad); }, loader_options, state.data);

  // The loader ends a stream in which no sample is usable; say why the samples were skipped.
  auto next_sample = [&] {
    try {
      return loader.next();
    } catch (const datasets::NoUsableSample& e) {
      const auto reasons = data.bad->messages();
      fail("[train] ", result.run_dir, ": ", e.what(), reasons.empty() ? std::string() : "; the last reason: " + reasons.back());
    }
  };

  NullBuffer null_buffer;
  std::ostream null_stream(&null_buffer);
  std::optional<RunLog> run_log;
  if (group.is_main())
    run_log.emplace(result.run_dir, steps, request.resume, request.quiet ? null_stream : std::cerr,
                    request.quiet ? ProgressStyle::kPlain : ProgressStyle::kAuto);
  if (run_log) run_log->set_start_step(state.step);
  auto run_eval = [&](int64_t step) {
    set.train(false);
    auto evaluated = evaluate(backbone, data, eval, pooling, &group);
    set.train(true);
    if (run_log) run_log->eval(step, evaluated.metrics);
    if (group.is_main() && !evaluated.answers.empty()) write_answers(result.run_dir, step, evaluated.answers);
    return evaluated.metrics;
  };

  set.train(true);
  reset_peak_memory(backbone.device);
  const auto started = std::chrono::steady_clock::now();
  int64_t tokens = 0, first_step = state.step;
  double last_loss = NAN;
  while (state.step < steps) {
    const auto step_started = std::chrono::steady_clock::now();
    std::vector<Batch> micro_batches;
    int64_t targets = 0, step_tokens = 0;
    for (int64_t m = 0; m < accumulation; ++m) {
      std::vector<datasets::PreparedSample> samples;
      for (int64_t i = 0; i < batch_size; ++i) samples.push_back(next_sample());
      micro_batches.push_back(collate(samples, backbone.tokenizer.pad_id(), backbone.device));
      targets += micro_batches.back().target_tokens;
      step_tokens += micro_batches.back().tokens;
    }
    if (group.size() > 1) {  // the loss is normalised by the whole step's target tokens, over every rank
      const auto counts = torch::tensor({targets, step_tokens}, torch::kInt64);
      group.sum(counts);
      targets = counts[0].item<int64_t>();
      step_tokens = counts[1].item<int64_t>();
    }
    tokens += step_tokens;
    optimizer.zero_grad();
    set.refresh_scales();  // DoRA's g for this step's parameters, all adapters at once
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(backbone.device));
    for (const auto& batch : micro_batches) {
      if (batch.target_tokens == 0) continue;
      const auto loss = summed_loss(model, batch, pooling);
      (loss / static_cast<double>(targets)).backward();
      loss_sum += loss.detach();
    }
    if (group.size() > 1) {  // one all-reduce of the flat gradient arena per step, after accumulation
      group.sum(optimizer.grads());
      group.sum(loss_sum);
    }
    const double loss = targets > 0 ? loss_sum.item<double>() / static_cast<double>(targets) : 0.0;
    const double grad_norm = clip > 0 ? optimizer.clip_grad_norm(clip) : optimizer.grads().norm().item<double>();
    if (!std::isfinite(loss)) stop_diverged(result.run_dir, state.step + 1, cat("the loss is ", loss));
    if (!std::isfinite(grad_norm)) stop_diverged(result.run_dir, state.step + 1, cat("the gradient norm is ", grad_norm));
    const double lr = adamw.lr * schedule_factor(recipe.str("train.schedule"), state.step, recipe.integer("train.warmup_steps"), steps);
    optimizer.step(lr);
    ++state.step;
    last_loss = loss;
    result.loss_curve.emplace_back(state.step, loss);
    const double step_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - step_started).count();
    if (run_log && (state.step % log_every == 0 || state.step == steps))
      run_log->step(state.step, {{"loss", loss}, {"lr", lr}, {"grad_norm", grad_norm},
                                {"tokens_per_s", static_cast<double>(tokens) /
                                                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
                                {"step_time_ms", 1000.0 * step_seconds}});
    const bool last = state.step == steps;
    if (last || (save_every > 0 && state.step % save_every == 0)) {
      // A checkpoint is good by construction: never one of values the update made NaN or infinite.
      if (!torch::isfinite(optimizer.values()).all().item<bool>())
        stop_diverged(result.run_dir, state.step, "the trained values are not finite after the update");
      state.data = loader.position();
      state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
      if (group.is_main()) save_checkpoint(result.run_dir, set, optimizer, state, backbone.multimodal(), keep_last);
    }
    if (evaluating && !last && eval_every > 0 && state.step % eval_every == 0) run_eval(state.step);
  }

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.steps = state.step;
  const int64_t trained_steps = state.step - first_step;
  if (trained_steps > 0) result.step_time_ms = 1000.0 * result.seconds / static_cast<double>(trained_steps);
  if (result.seconds > 0) result.tokens_per_s = static_cast<double>(tokens) / result.seconds;
  result.peak_memory_mib = static_cast<double>(peak_memory_bytes(backbone.device)) / (1 << 20);
  if (evaluating) result.metrics = run_eval(state.step);
  if (std::isfinite(last_loss)) result.metrics["train_loss"] = last_loss;
  result.bad_samples = data.bad->count();
  RunSummary summary;
  summary.steps = state.step;
  summary.tokens = tokens;
  summary.bad_samples_skipped = result.bad_samples;
  summary.final_metrics = result.metrics;
  summary.device = backbone.device.str();
  if (run_log) run_log->summary(summary);
  return result;
}

}  // namespace vltune::training
