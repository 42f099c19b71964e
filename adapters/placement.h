// Where adapters go on a loaded model: placement rules (placement_rules.h) matched against the
// model's linear modules. A module two rules match takes the more specific one (modules named >
// layers chosen > a component's group). A rule that matches nothing, a rule choosing layers the
// model lacks, and a module matched by two equally specific rules are errors naming the rules.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/placement_rules.h"
#include "core/layers.h"

namespace vltune::adapters {

// One linear module of a model, as placement sees it.
struct LinearSite {
  std::string path;       // canonical module path: language_model.layers.3.self_attn.q_proj
  std::string component;  // vision | projector | language | lm_head
  std::optional<int64_t> layer;
  std::string leaf;  // q_proj
  Linear linear{nullptr};
};

std::vector<LinearSite> linear_sites(torch::nn::Module& model);

// A model tensor that trains whole (`embeddings: train`): the token embedding, the vision tower's
// patch embedding (its convolution's weight) and position embedding, as the model names them.
struct TensorSite {
  std::string module;  // canonical module path: language_model.embed_tokens
  torch::Tensor weight;  // the model's own tensor, trained in place
};

// The modules `embeddings: train` trains, by their leaf names (PEFT's modules_to_save names them so).
const std::vector<std::string>& embedding_modules();
// Their weights in `model`; throws if the model has none of them.
std::vector<TensorSite> embedding_sites(torch::nn::Module& model);

// What one module gets, held by value: a plan outlives the Placement it was made from.
struct PlannedAdapter {
  LinearSite site;
  AdapterSpec spec;
  std::string rule_origin;  // the rule that placed it ("rule 2 (recipe.yaml:14:7)"), for plan and errors
  int64_t vera_seed = 0;    // that rule's projection_prng_key (VeRA / DVoRA)
};

std::vector<PlannedAdapter> plan_adapters(const Placement& placement, const std::vector<LinearSite>& sites);

// The dry run `vltune plan` prints: one line per adapted module with the rule that placed it, then
// totals and the share of the model's `model_parameters` that trains.
std::string describe_plan(const std::vector<PlannedAdapter>& plan, int64_t model_parameters);

}  // namespace vltune::adapters
