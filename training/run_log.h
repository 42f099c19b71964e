// What a training run reports while it runs and when it ends, all under the run folder:
//   metrics.jsonl           one JSON object per logged step or evaluation, appended and written
//                           through at once: {"kind":"train"|"eval","step":N,"wall_time":unix s, name: value...}
//                           (non-finite values are written as null)
//   events.out.tfevents.*   the same values as TensorBoard scalars "train/<name>" and "eval/<name>"
//   summary.json            the run summary (see RunSummary), also printed at the end
// On the console: on a terminal one progress line rewritten in place per step
// ("step 12/100 loss 2.345 lr 1.0e-04 1234 tok/s ETA 00:01:23", training/progress_line.h);
// otherwise the same text as plain log lines. Evaluations and the summary print as lines of their own.
//
//   RunLog log(run_dir, total_steps, /*resume=*/false);
//   log.step(step, {{"loss", loss}, {"lr", lr}, {"grad_norm", norm}, {"tokens_per_s", rate}});
//   log.eval(step, {{"exact_match", em}});
//   RunSummary run;  // steps, tokens, bad_samples_skipped, final_metrics, device
//   log.summary(run);
//
// A fresh run (resume = false) empties metrics.jsonl and removes the folder's event files and
// summary.json. A resumed run appends to metrics.jsonl and the newest event file, after cutting
// off a line or record torn by the crash. set_start_step(S) on a resumed log first drops the
// metrics.jsonl lines of steps after S (logged after the checkpoint the run resumes from, by the
// session that stopped, and about to be logged again), so each step is in the file once; in the
// event files the older values stay and TensorBoard shows the later ones.
#pragma once
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "training/append_file.h"
#include "training/tensorboard_events.h"

namespace vltune::training {

using Scalars = std::map<std::string, double>;

struct RunSummary {
  int64_t steps = 0;                // optimizer steps reached (counting those before a resume)
  int64_t tokens = 0;               // tokens trained on since the RunLog was made (for tokens/s)
  int64_t bad_samples_skipped = 0;  // samples the loader dropped as unreadable
  Scalars final_metrics;            // e.g. the last loss and the final evaluation
  std::string device = "cpu";       // where training ran ("cuda:0"): an accelerator's allocator peak is reported
};

enum class ProgressStyle { kAuto, kLive, kPlain };  // kAuto: kLive when stderr is a terminal

class RunLog {
 public:
  RunLog(std::string run_dir, int64_t total_steps, bool resume, std::ostream& console = std::cerr,
         ProgressStyle style = ProgressStyle::kAuto);
  ~RunLog();  // ends a live progress line
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  // Training scalars of one step: loss, lr, grad_norm, tokens_per_s, ...
  void step(int64_t step, const Scalars& scalars);
  // Evaluation metrics at `step`.
  void eval(int64_t step, const Scalars& metrics);
  // Prints the run summary and writes summary.json: steps, wall time and tokens/s of this session,
  // peak RSS (and the accelerator's allocator peak), bad samples skipped, final metrics.
  void summary(const RunSummary& run);

  // The step training starts from (0, or the checkpoint's on a resume), for the ETA; without it the
  // first logged step is taken as the first step trained. On a resumed log, called before anything
  // is logged, it also drops metrics.jsonl's lines of later steps (see above).
  void set_start_step(int64_t step);

  const std::string& run_dir() const { return run_dir_; }

 private:
  void append(const char* kind, int64_t step, const Scalars& values, double wall_time);
  void print_line(const std::string& text);

  std::string run_dir_;
  int64_t total_steps_;
  std::ostream& console_;
  bool live_;
  bool live_line_open_ = false;
  bool resumed_;
  bool started_logging_ = false;  // once a line is appended, set_start_step drops nothing
  std::unique_ptr<AppendFile> metrics_;
  std::unique_ptr<EventWriter> events_;
  std::chrono::steady_clock::time_point started_;
  int64_t baseline_step_ = -1;  // the step before the first one logged, for the ETA
};

}  // namespace vltune::training
