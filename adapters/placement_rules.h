// Where adapters go: rules from YAML matched against the model's linear modules.
//
//   adapters:
//     preset: dora_half            # optional: attention_only | full_layer | dora_half | vision_and_language
//     method: dora                 # defaults for the preset's rules and for `rules`
//     rank: 16
//     alpha: 32
//     embeddings: train            # optional (default frozen): the token, patch and position
//                                  # embeddings train too, whole and in place (placement.h)
//     rules:                       # optional, extend the preset
//       - component: projector     # vision | projector | language | lm_head
//         modules: all_linear      # names (q_proj, fc1, ...) or attention | mlp | all_linear
//         layers: last:4           # all | [0, 3] | "0-11" | "last:4"
//         exclude: [layers.0.mlp.fc1]
//         method: lora
//
// A module two rules match takes the more specific rule: one naming modules beats one choosing
// layers, which beats a whole component's group; two equally specific rules are an error.
// Plain (no LibTorch): recipes are read and checked without it; placement.h matches the rules
// against a loaded model.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/adapter_spec.h"

namespace vltune::adapters {

// The component a canonical module path belongs to (multimodal/model_components.h: vision |
// vision_head | projector | language | the path itself, lm_head).
std::string component_of(const std::string& path);

struct LayerSelector {
  enum class Kind { kAll, kList, kRange, kLast } kind = Kind::kAll;
  std::vector<int64_t> values;  // list: the layers; range: [first, last]; last: [count]
  bool matches(int64_t layer, int64_t num_layers) const;
  std::string describe() const;
  // Empty when every layer the selector names exists among `num_layers`; otherwise what the
  // component lacks, worded to follow "the language has ..." ("no layer 9", "only 4 layers").
  std::string missing_layers(int64_t num_layers) const;
};

struct PlacementRule {
  std::string origin;  // for errors: "rule 2 (recipe.yaml:14:7)" or "preset dora_half, rule 1"
  AdapterSpec spec;
  std::string component;
  std::vector<std::string> modules;  // leaf names, presets expanded
  LayerSelector layers;
  std::vector<std::string> exclude;  // module-path suffixes
  int64_t vera_seed = 0;             // projection_prng_key for VeRA / DVoRA
  // Where two rules match one module, the more specific wins (placement.h): naming the modules
  // (q_proj, fc1) counts 2, choosing layers 1, a component's group (attention, all_linear) on all
  // its layers 0.
  int specificity = 0;
};

struct Placement {
  std::vector<PlacementRule> rules;
  bool train_embeddings = false;  // `embeddings: train`
};

// Reads the `adapters:` node of `file` (a map with preset/defaults/rules, or a plain list of rules).
Placement parse_placement(const YAML::Node& adapters, const std::string& file);
Placement load_placement(const std::string& yaml_path);  // the file's top-level `adapters:` key

}  // namespace vltune::adapters
