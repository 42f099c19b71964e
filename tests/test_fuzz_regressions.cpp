// Replays every committed fuzz input (the seeds in fuzz/corpus/<target>/ and the crashers kept in
// fuzz/regressions/<target>/) through the body its libFuzzer target runs (fuzz/targets.h), in the
// normal build: each must be read or refused with a vltune::Error, never another exception or a
// crash. `make fuzz` finds new inputs; this keeps the ones found.
#include <algorithm>
#include <filesystem>

#include "fuzz/results_targets.h"
#include "fuzz/run_input_targets.h"
#include "fuzz/targets.h"
#include "test_support.h"

namespace vltune {
namespace {

std::vector<std::string> committed_inputs(const std::string& target) {
  std::vector<std::string> files;
  for (const char* kind : {"corpus", "regressions"}) {
    const auto dir = std::filesystem::path(VLTUNE_FUZZ_DIR) / kind / target;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

template <class Body>
void replay(const std::string& target, Body&& body) {
  const auto files = committed_inputs(target);
  EXPECT_FALSE(files.empty()) << "no committed inputs for fuzz_" << target;
  for (const auto& file : files) {
    const std::string bytes = test::read_text_file(file);
    EXPECT_NO_THROW(body(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) << file;
  }
}

TEST(FuzzRegressions, Safetensors) { replay("safetensors", fuzz::safetensors_input); }
TEST(FuzzRegressions, ModelConfig) { replay("model_config", fuzz::model_config_input); }
TEST(FuzzRegressions, MediaCache) { replay("media_cache", fuzz::media_cache_input); }
TEST(FuzzRegressions, Image) { replay("image", fuzz::image_input); }
TEST(FuzzRegressions, PeftAdapter) {
  replay("peft_adapter", [](const uint8_t* data, std::size_t size) {
    fuzz::peft_adapter_input(data, size, test::data_path("hf-tiny-llava-clip-llama/base"));
  });
}

TEST(FuzzRegressions, Recipe) {
  replay("recipe", [](const uint8_t* data, std::size_t size) {
    fuzz::recipe_input(data, size, test::data_path("hf-tiny-llava-clip-llama/base"));
  });
}
TEST(FuzzRegressions, State) { replay("state", fuzz::state_input); }
TEST(FuzzRegressions, TokenizerJson) { replay("tokenizer_json", fuzz::tokenizer_json_input); }
TEST(FuzzRegressions, StudyFiles) { replay("study_files", fuzz::study_files_input); }
// The seeds are studies the renderer accepts (cut from docs/results/: 8 or 12 items, margins kept, one
// candidate made diverged), so that the fuzzer starts from inputs that reach the tuning lines.
TEST(FuzzRegressions, StudyFilesSeedsRenderTheirTuningLines) {
  for (const auto& file : committed_inputs("study_files")) {
    if (file.find("/corpus/") == std::string::npos) continue;
    const std::string bytes = test::read_text_file(file);
    const auto doc = fuzz::render_study_files(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    EXPECT_THAT(doc, HasSubstr("| variant | method |")) << file;
    EXPECT_THAT(doc, HasSubstr("Learning rates tuned on a validation split")) << file;
    EXPECT_THAT(doc, HasSubstr(" validation samples: undecided)")) << file;  // each variant's margin
  }
  const std::string diverged = test::read_text_file(std::string(VLTUNE_FUZZ_DIR) + "/corpus/study_files/image-vqa-ranks-fixed-alpha");
  EXPECT_THAT(fuzz::render_study_files(reinterpret_cast<const uint8_t*>(diverged.data()), diverged.size()),
              HasSubstr("0.032 → diverged at step 157 (the gradient norm is inf)"));
}
TEST(FuzzRegressions, DatasetFormats) {
  for (const std::string format : {"llava", "jsonl", "coco", "alpaca", "vqa"})
    replay("dataset_" + format, [&](const uint8_t* data, std::size_t size) { fuzz::dataset_input(format, data, size); });
}

}  // namespace
}  // namespace vltune
