// data.validation: a fixed part of the training data held out for choosing hyper-parameters (the
// learning rate in `vltune compare`'s tune:), so that the test split is never looked at. Which
// samples are held out depends only on each sample's id (a hash of it) and the fraction: not on
// train.seed, the order of the data or anything else of the run, so every run and every variant
// that holds out the same fraction of the same data holds out exactly the same samples.
#pragma once
#include <string>
#include <vector>

#include "datasets/sample.h"

namespace vltune::training {

// True when the sample `id` belongs to the held-out part at `fraction` (0 to 1): its hash, read as
// a number in [0, 1), is below `fraction`. Samples with the same id fall on the same side.
bool held_out_for_validation(const std::string& id, double fraction);

struct ValidationSplit {
  std::vector<datasets::Sample> train, validation;  // each in the order of the input
};

// `samples` split by held_out_for_validation.
ValidationSplit split_validation(std::vector<datasets::Sample> samples, double fraction);

}  // namespace vltune::training
