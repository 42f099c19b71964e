#include "training/validation_split.h"

#include <cstdint>

namespace vltune::training {

namespace {

// FNV-1a over the id's bytes, then splitmix64's finaliser, so that ids that differ in one
// character land far apart.
uint64_t id_hash(const std::string& id) {
  uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace

bool held_out_for_validation(const std::string& id, double fraction) {
  const double unit = static_cast<double>(id_hash(id) >> 11) * 0x1.0p-53;  // 53 bits: exact in a double
  return unit < fraction;
}

ValidationSplit split_validation(std::vector<datasets::Sample> samples, double fraction) {
  ValidationSplit split;
  for (auto& sample : samples) {
    auto& side = held_out_for_validation(sample.id, fraction) ? split.validation : split.train;
    side.push_back(std::move(sample));
  }
  return split;
}

}  // namespace vltune::training
