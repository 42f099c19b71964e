// What vltune knows of each metric it reports, in one table that every layer may read: which way
// is better (the lr tuning of vltune compare) and how far one evaluated item can move the mean
// (the results doc's note on choices won by one validation sample). training/metrics computes
// them; tests/test_metrics.cpp checks this table against it.
//
//   metric        better   per-item scores, each within
//   loss          lower    none (a token-weighted mean)
//   perplexity    lower    none
//   train_loss    lower    none
//   exact_match   higher   0..1
//   vqa_accuracy  higher   0..1
//   rouge_l       higher   0..1
//   cider_d       higher   0..10
//   bleu4         higher   none (a corpus score)
//
// A metric not in the table (a name from another tool's eval file) is taken as higher-is-better
// with no per-item scores.
#pragma once
#include <string_view>

namespace vltune {

bool lower_is_better(std::string_view metric);

// The largest score one item can have (exact_match: 1, cider_d: 10), or 0 when the metric has no
// per-item scores.
double item_score_max(std::string_view metric);

}  // namespace vltune
