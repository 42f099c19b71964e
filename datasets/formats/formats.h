// The built-in dataset format readers; registry.cpp registers each under its name.
#pragma once
#include <vector>

#include "datasets/sample.h"

namespace vltune::datasets {

std::vector<Sample> read_llava(const DatasetSpec& spec, BadSamples& bad);
std::vector<Sample> read_jsonl(const DatasetSpec& spec, BadSamples& bad);
std::vector<Sample> read_coco(const DatasetSpec& spec, BadSamples& bad);
std::vector<Sample> read_alpaca(const DatasetSpec& spec, BadSamples& bad);
std::vector<Sample> read_vqa(const DatasetSpec& spec, BadSamples& bad);

}  // namespace vltune::datasets
