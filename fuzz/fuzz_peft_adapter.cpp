// libFuzzer entry point: fuzz/targets.h's peft_adapter_input on the tiny LLaVA fixture (make fuzz).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::peft_adapter_input(data, size, VLTUNE_FUZZ_DATA "/hf-tiny-llava-clip-llama/base");
  return 0;
}
