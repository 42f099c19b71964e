// Datasets declared in YAML, as a recipe's `data:` section does (no C++ needed):
//
//   data:
//     on_bad_sample: skip              # skip (default) | error
//     train:
//       format: jsonl                  # a registered format
//       path: data/clips/train.jsonl   # relative to the YAML file's folder
//       media_root: data/clips         # optional; media must resolve inside it (symlinks followed)
//       allow_media_from: [/srv/images]  # optional: more folders media may resolve into
//       fields: {video: clip, question: q, answer: a}   # optional, jsonl
//       prompt: "Describe the image."  # optional, coco
//     eval: {format: llava, path: data/eval.json}
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "datasets/sample.h"

namespace vltune::datasets {

// One dataset's map (format, path, ...), paths resolved against `file`'s folder; unknown keys fail
// naming file:line and the nearest known key. training::Recipe reads whole `data:` sections with it.
DatasetSpec parse_dataset_spec(const YAML::Node& node, const std::string& file);

}  // namespace vltune::datasets
