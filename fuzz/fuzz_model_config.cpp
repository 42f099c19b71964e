// libFuzzer entry point: fuzz/targets.h's model_config_input (make fuzz).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::model_config_input(data, size);
  return 0;
}
