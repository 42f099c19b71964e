#include "training/run_log.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_view.h"
#include "core/log.h"
#include "core/torch_compat.h"
#include "training/progress_line.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {
const char* const kMetricsFile = "metrics.jsonl";
const char* const kSummaryFile = "summary.json";

// Drops a last line left without its newline by a crash, so that appending keeps one object a line.
void cut_torn_last_line(const std::string& path) {
  if (!fs::exists(path)) return;
  const std::string content = read_file_bytes(path);
  if (content.empty() || content.back() == '\n') return;
  const auto end = content.rfind('\n');
  const uint64_t keep = end == std::string::npos ? 0 : end + 1;
  log_warning(cat("[run] ", path, ": dropping a torn last line at byte ", keep));
  truncate_file(path, keep);
}

// The step a metrics.jsonl line was logged at; -1 for a line that names none (kept as it is, with
// a warning naming the file and line).
int64_t logged_step(std::string_view line, const std::string& path, int64_t line_number) {
  try {
    const auto json = parse_json_text(line, cat(path, ":", line_number));
    if (json.is_object() && json.contains("step") && json.at("step").is_number_integer()) return json.at("step").get<int64_t>();
  } catch (const Error& e) {
    log_warning(cat("[run] ", e.what(), "; the line is kept as it is"));
    return -1;
  }
  log_warning(cat("[run] ", path, ":", line_number, ": no integer \"step\"; the line is kept as it is"));
  return -1;
}

// Drops the lines of steps after `step` from metrics.jsonl: a resumed run logs them again, and the
// file keeps each step once. Rewritten atomically, so a crash leaves the old file or the new one.
void drop_steps_after(const std::string& path, int64_t step) {
  if (!fs::exists(path)) return;
  const std::string content = read_file_bytes(path);
  std::string kept;
  int64_t dropped = 0, line_number = 0;
  for (std::size_t begin = 0; begin < content.size();) {
    const auto newline = content.find('\n', begin);
    const std::size_t end = newline == std::string::npos ? content.size() : newline + 1;
    const std::string_view line(content.data() + begin, end - begin);
    if (logged_step(line, path, ++line_number) > step)
      ++dropped;
    else
      kept.append(line);
    begin = end;
  }
  if (dropped == 0) return;
  log_info(cat("[run] ", path, ": dropping ", dropped, " lines logged after step ", step,
               " (the checkpoint resumed from); those steps are logged again"));
  write_file_atomically(path, kept);
}

void check_names(const Scalars& values) {
  for (const auto& [name, value] : values)
    if (name.empty() || name == "kind" || name == "step" || name == "wall_time")
      fail("[run] scalar name '", name, "': expected a non-empty name other than kind, step and wall_time");
}

// Peak resident set size of this process (Linux reports ru_maxrss in KiB).
int64_t peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

std::string gib(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

std::string metric_list(const Scalars& values) {
  std::string text;
  for (const auto& [name, value] : values) {
    char number[32];
    std::snprintf(number, sizeof(number), "%.4g", value);
    text += (text.empty() ? "" : ", ") + name + " " + number;
  }
  return text;
}
}  // namespace

RunLog::RunLog(std::string run_dir, int64_t total_steps, bool resume, std::ostream& console, ProgressStyle style)
    : run_dir_(std::move(run_dir)),
      total_steps_(total_steps),
      console_(console),
      live_(style == ProgressStyle::kLive || (style == ProgressStyle::kAuto && ::isatty(STDERR_FILENO))),
      resumed_(resume),
      started_(std::chrono::steady_clock::now()) {
  fs::create_directories(run_dir_);
  const std::string metrics_path = (fs::path(run_dir_) / kMetricsFile).string();
  if (resume) {
    cut_torn_last_line(metrics_path);
  } else {
    for (const auto& old : event_files(run_dir_)) fs::remove(old);
    fs::remove(fs::path(run_dir_) / kSummaryFile);
  }
  metrics_ = std::make_unique<AppendFile>(metrics_path, /*truncate=*/!resume);
  events_ = std::make_unique<EventWriter>(run_dir_, /*continue_newest=*/resume);
}

void RunLog::set_start_step(int64_t step) {
  baseline_step_ = step;
  if (!resumed_ || started_logging_) return;
  const auto path = metrics_->path();
  metrics_.reset();
  drop_steps_after(path, step);
  metrics_ = std::make_unique<AppendFile>(path, /*truncate=*/false);
}

RunLog::~RunLog() {
  if (live_line_open_) console_ << "\n" << std::flush;
}

void RunLog::append(const char* kind, int64_t step, const Scalars& values, double wall_time) {
  check_names(values);
  started_logging_ = true;
  nlohmann::json line = {{"kind", kind}, {"step", step}, {"wall_time", wall_time}};
  TaggedScalars tagged;
  for (const auto& [name, value] : values) {
    line[name] = value;
    tagged.emplace_back(std::string(kind) + "/" + name, static_cast<float>(value));
  }
  metrics_->write(line.dump() + "\n");
  events_->add_scalars(step, tagged, wall_time);
}

void RunLog::print_line(const std::string& text) {
  if (live_line_open_) console_ << "\n";
  live_line_open_ = false;
  console_ << "vltune: info: " << text << "\n" << std::flush;
}

void RunLog::step(int64_t step, const Scalars& scalars) {
  append("train", step, scalars, unix_seconds_now());
  if (baseline_step_ < 0) baseline_step_ = step - 1;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const int64_t done = step - baseline_step_;
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_steps_ - step) : -1.0;
  const std::string text = progress_text(step, total_steps_, scalars, eta);
  if (live_) {
    console_ << "\r" << text << "\x1b[K" << std::flush;  // rewrite the line, clearing what a longer one left
    live_line_open_ = true;
  } else {
    print_line(text);
  }
}

void RunLog::eval(int64_t step, const Scalars& metrics) {
  append("eval", step, metrics, unix_seconds_now());
  print_line(cat("eval at step ", step, ": ", metric_list(metrics)));
}

void RunLog::summary(const RunSummary& run) {
  const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double tokens_per_s = wall_seconds > 0 ? static_cast<double>(run.tokens) / wall_seconds : 0.0;
  const int64_t rss = peak_rss_bytes();
  const auto device_peak = compat::peak_device_allocated_bytes(c10::Device(run.device));

  nlohmann::json summary = {{"steps", run.steps},
                            {"wall_seconds", wall_seconds},
                            {"tokens", run.tokens},
                            {"tokens_per_s", tokens_per_s},
                            {"peak_rss_bytes", rss},
                            {"device", run.device},
                            {"bad_samples_skipped", run.bad_samples_skipped},
                            {"final_metrics", run.final_metrics}};
  if (device_peak) summary["peak_device_allocated_bytes"] = *device_peak;
  write_file_atomically((fs::path(run_dir_) / kSummaryFile).string(), summary.dump(2) + "\n");

  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.0f", tokens_per_s);
  print_line(cat("run summary: ", run.steps, " steps in ", format_duration(wall_seconds), ", ", rate, " tok/s, peak RSS ",
                 gib(rss), device_peak ? cat(", peak ", run.device, " allocated ", gib(*device_peak)) : std::string(),
                 ", ", run.bad_samples_skipped, " bad samples skipped"));
  if (!run.final_metrics.empty()) print_line("final metrics: " + metric_list(run.final_metrics));
}

}  // namespace vltune::training
