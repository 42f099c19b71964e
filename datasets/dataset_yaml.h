// Datasets declared in YAML, as a recipe's `data:` section does (no C++ needed):
//
//   data:
//     on_bad_sample: skip              # skip (default) | error
//     train:
//       format: jsonl                  # a registered format
//       path: data/clips/train.jsonl   # relative to the YAML file's folder
//       media_root: data/clips         # optional
//       fields: {video: clip, question: q, answer: a}   # optional, jsonl
//       prompt: "Describe the image."  # optional, coco
//     eval: {format: llava, path: data/eval.json}
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "datasets/sample.h"

namespace vltune::datasets {

DatasetSpec parse_dataset_spec(const YAML::Node& node, const std::string& file);

struct DeclaredDatasets {
  OnBadSample on_bad_sample = OnBadSample::kSkip;
  std::vector<std::pair<std::string, DatasetSpec>> datasets;  // ("train" | "eval", spec)
};

// The `data:` section of a YAML file (a recipe).
DeclaredDatasets read_declared_datasets(const std::string& yaml_path);

}  // namespace vltune::datasets
