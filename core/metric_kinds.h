// Which way is better for each metric vltune reports, in one table that every layer may read (the
// lr tuning of vltune compare reads it). training/metrics computes them;
// tests/test_metrics.cpp checks this table against it.
//
//   metric        better
//   loss          lower    (a token-weighted mean)
//   perplexity    lower
//   train_loss    lower
//   exact_match   higher
//   vqa_accuracy  higher
//   rouge_l       higher
//   cider_d       higher
//   bleu4         higher   (a corpus score)
//
// A metric not in the table (a name from another tool's eval file) is taken as higher-is-better.
#pragma once
#include <string_view>

namespace vltune {

bool lower_is_better(std::string_view metric);

}  // namespace vltune
