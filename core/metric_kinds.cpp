#include "core/metric_kinds.h"

#include <array>

namespace vltune {
namespace {

struct MetricKind {
  std::string_view name;
  bool lower_is_better;
};

// The table of core/metric_kinds.h.
constexpr std::array<MetricKind, 8> kMetricKinds = {{
    {"loss", true},
    {"perplexity", true},
    {"train_loss", true},
    {"exact_match", false},
    {"vqa_accuracy", false},
    {"rouge_l", false},
    {"cider_d", false},
    {"bleu4", false},
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

}  // namespace vltune
