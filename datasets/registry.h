// Dataset formats by name. The built-in ones (llava, jsonl, coco, alpaca, vqa) are registered in
// formats.cpp; a program adds its own with one call:
//
//   vltune::datasets::register_format("my_format", "what it reads",
//       [](const DatasetSpec& spec, BadSamples& bad) { std::vector<Sample> out; ...; return out; });
//
// docs/datasets.md walks through both ways of adding a dataset.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "datasets/sample.h"

namespace vltune::datasets {

using FormatReader = std::function<std::vector<Sample>(const DatasetSpec&, BadSamples&)>;

void register_format(const std::string& name, const std::string& description, FormatReader reader);
std::vector<std::pair<std::string, std::string>> registered_formats();  // (name, description)

// Reads `spec` with its format's reader. Every sample comes back with media paths that exist and
// at least one answer; the others are reported to `bad`.
std::vector<Sample> read_dataset(const DatasetSpec& spec, BadSamples& bad);

}  // namespace vltune::datasets
