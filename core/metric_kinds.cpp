#include "core/metric_kinds.h"

#include <array>

namespace vltune {
namespace {

struct MetricKind {
  std::string_view name;
  bool lower_is_better;
  double item_score_max;  // 0: no per-item scores
};

// The table of core/metric_kinds.h.
constexpr std::array<MetricKind, 8> kMetricKinds = {{
    {"loss", true, 0},
    {"perplexity", true, 0},
    {"train_loss", true, 0},
    {"exact_match", false, 1},
    {"vqa_accuracy", false, 1},
    {"rouge_l", false, 1},
    {"cider_d", false, 10},
    {"bleu4", false, 0},
}};

const MetricKind* find(std::string_view metric) {
  for (const auto& kind : kMetricKinds)
    if (kind.name == metric) return &kind;
  return nullptr;
}

}  // namespace

bool lower_is_better(std::string_view metric) {
  const auto* kind = find(metric);
  return kind && kind->lower_is_better;
}

double item_score_max(std::string_view metric) {
  const auto* kind = find(metric);
  return kind ? kind->item_score_max : 0;
}

}  // namespace vltune
