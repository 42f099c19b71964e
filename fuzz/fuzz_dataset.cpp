// libFuzzer entry point: fuzz/run_input_targets.h's dataset_input for the format this target was
// built for (VLTUNE_FUZZ_FORMAT: one target per built-in format, fuzz_dataset_<format>).
#include "fuzz/run_input_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::dataset_input(VLTUNE_FUZZ_FORMAT, data, size);
  return 0;
}
