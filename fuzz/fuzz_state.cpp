// libFuzzer entry point: fuzz/run_input_targets.h's state_input (make fuzz).
#include "fuzz/run_input_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::state_input(data, size);
  return 0;
}
