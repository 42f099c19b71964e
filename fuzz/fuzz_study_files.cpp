// libFuzzer entry point: fuzz/results_targets.h's study_files_input (make fuzz).
#include "fuzz/results_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vltune::fuzz::study_files_input(data, size);
  return 0;
}
