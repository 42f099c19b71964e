// libFuzzer entry point: fuzz/targets.h's media_cache_input (make fuzz).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::media_cache_input(data, size);
  return 0;
}
