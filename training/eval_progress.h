// Progress through an evaluation, which can take minutes when answers are generated:
//   eval 40/200
// On a terminal one line is rewritten in place after each sample and cleared at the end; elsewhere
// (a log file, a pipe) a plain line is printed at each quarter of the set.
#pragma once
#include <cstdint>
#include <iosfwd>

namespace vltune::training {

class EvalProgress {
 public:
  // `out` nullptr: nothing is shown. `live`: rewrite one line in place.
  EvalProgress(std::ostream* out, int64_t total, bool live);
  ~EvalProgress();  // clears a live line
  EvalProgress(const EvalProgress&) = delete;
  EvalProgress& operator=(const EvalProgress&) = delete;

  void done(int64_t samples);  // `samples` of the total are evaluated

 private:
  std::ostream* out_;
  int64_t total_;
  bool live_;
  bool line_open_ = false;
};

// Whether `out` is standard error on a terminal (the live style).
bool is_terminal(const std::ostream* out);

}  // namespace vltune::training
