// libFuzzer entry point: fuzz/run_input_targets.h's recipe_input (make fuzz).
#include "fuzz/run_input_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::recipe_input(data, size, VLTUNE_FUZZ_DATA "/hf-tiny-llava-clip-llama/base");
  return 0;
}
