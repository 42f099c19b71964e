#include "training/preflight.h"

#include "core/error.h"

namespace vltune::training {

namespace {

// The first training sample that prepares, in dataset order, as the first step would need one:
// its media decoded and its tokens fitted. Samples that do not prepare are reported to `bad`
// (under data.on_bad_sample: error the first one throws); none preparing is an error.
std::string first_usable_sample(const Recipe& recipe, const RunData& data) {
  for (const auto& sample : data.train)
    if (data.preparer->prepare(sample, *data.bad)) return sample.id;
  const auto reasons = data.bad->messages();
  fail("[recipe] ", recipe.where("data.train"), ": none of the training dataset's ", data.train.size(),
       " samples can be prepared", reasons.empty() ? std::string() : "; the last reason: " + reasons.back());
}

}  // namespace

PreparedRun prepare_run(const Recipe& recipe, Backbone& backbone) {
  PreparedRun run;
  run.data = load_run_data(recipe, backbone);
  run.first_sample = first_usable_sample(recipe, run.data);
  const auto placement = adapters::parse_placement(recipe.find("adapters"), recipe.origin_file("adapters"));
  run.plan = adapters::plan_adapters(placement, adapters::linear_sites(backbone.model()));
  if (placement.train_embeddings) run.in_place = adapters::embedding_sites(backbone.model());
  run.eval = eval_settings(recipe, backbone);
  return run;
}

}  // namespace vltune::training
