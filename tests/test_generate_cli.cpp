// `vltune generate` end to end: the binary prints the same answer the library generates, for a
// text-only model and (with media support) for an image written by OpenCV, and bad invocations
// fail with a message.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "datasets/prepare.h"
#include "multimodal/generate.h"
#include "multimodal/model_loader.h"
#include "opencv_support.h"
#include "test_support.h"
#include "vision/image_processor.h"


namespace vltune {
namespace {

using test::data_path;

using test::run_vltune;
using test::tiny_tokenizer_path;

// The ids after "ids:" on the output's last line.
std::vector<int64_t> printed_ids(const std::string& output) {
  const auto at = output.rfind("ids:");
  if (at == std::string::npos) return {-1};
  std::istringstream line(output.substr(at + 4));
  std::vector<int64_t> ids;
  for (int64_t id; line >> id;) ids.push_back(id);
  return ids;
}

// What the library answers for one user turn, as `vltune generate` builds it (greedy, 6 tokens).
std::vector<int64_t> library_answer(const std::string& model_dir, const std::string& text, const std::string& image,
                                    const std::string& chat_template) {
  auto loaded = multimodal::load_model(model_dir);
  const auto tokenizer = language::Tokenizer::load(tiny_tokenizer_path());
  datasets::PrepareOptions prepare;
  prepare.chat_template = chat_template;
  datasets::Sample sample;
  sample.id = "prompt";
  sample.turns = {{language::Role::kUser, text}, {language::Role::kAssistant, ""}};
  if (!image.empty()) {
    prepare.media.image = vision::image_processor_config(model_dir, *loaded.config.vision);
    prepare.encode.visual_token_id = loaded.config.image_token_index;
    prepare.encode.tokens_per_image = loaded.config.tokens_per_image();
    sample.images = {image};
  }
  language::GenerationOptions options;
  options.max_new_tokens = 6;
  options.eos_token_ids = {2};
  const auto prompt = datasets::SamplePreparer(tokenizer, prepare).prepare_prompt(sample);
  return multimodal::generate(*loaded.model, prompt, options, {});
}

TEST(GenerateCli, TextOnlyModelAnswersAsTheLibraryDoes) {
  const std::string model = data_path("hf-tiny-llama3-text/base");
  const auto result = run_vltune("generate --model " + model + " --tokenizer " + tiny_tokenizer_path() +
                                 " --template plain --prompt 'What colour is the bag?' --max-new-tokens 6 --show-ids");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(printed_ids(result.output), library_answer(model, "What colour is the bag?", "", "plain")) << result.output;
}

TEST(GenerateCli, BeamAndSamplingRun) {
  const std::string base = "generate --model " + data_path("hf-tiny-llama3-text/base") + " --tokenizer " +
                           tiny_tokenizer_path() + " --prompt 'What colour is the coat?' --max-new-tokens 4 --show-ids";
  const auto beam = run_vltune(base + " --strategy beam --num-beams 3");
  ASSERT_EQ(beam.status, 0) << beam.output;
  EXPECT_LE(printed_ids(beam.output).size(), 4u) << beam.output;
  const auto sample = run_vltune(base + " --strategy sample --temperature 0.8 --top-p 0.9 --seed 5");
  ASSERT_EQ(sample.status, 0) << sample.output;
  EXPECT_EQ(run_vltune(base + " --strategy sample --temperature 0.8 --top-p 0.9 --seed 5").output, sample.output);
}

TEST(GenerateCli, BadInvocationsFailWithAMessage) {
  test::TempDir dir;
  std::ofstream(dir.file("x.png")) << "not an image";
  const std::string text_model = data_path("hf-tiny-llama3-text/base");
  auto result = run_vltune("generate --model " + text_model + " --tokenizer " + tiny_tokenizer_path() + " --image " +
                           dir.file("x.png") + " --prompt hi");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("text-only model"));
  result = run_vltune("generate --model " + text_model + " --prompt hi");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("tokenizer.model"));
  result = run_vltune("generate --model " + text_model + " --tokenizer " + tiny_tokenizer_path() + " --prompt hi --strategy nucleus");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.output, HasSubstr("unknown generation strategy 'nucleus'"));
}

// Review finding: the refusal of clips whose token count is not fixed (frames at fps, concatenated)
// lives in training::apply_visual_settings, shared by train, eval and generate, and comes before
// any frame is decoded (the "clip" here is an empty folder).
TEST(GenerateCli, ClipsWithoutAFixedTokenCountAreRefusedBeforeDecoding) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("frames"));
  const std::string model = data_path("hf-tiny-llava-clip-llama/base");
  const auto generate = [&](const std::string& options) {
    return run_vltune("generate --model " + model + " --tokenizer " + tiny_tokenizer_path() + " --video " + dir.file("frames") +
                      " --prompt hi " + options);
  };
  auto result = generate("--num-frames 0 --temporal-pool concat");
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("[generate] --num-frames / --temporal-pool: frames sampled at fps"));
  result = generate("--num-frames 0 --temporal-pool mean");  // passes the check, then fails decoding the empty folder
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_THAT(result.output, Not(HasSubstr("frames sampled at fps")));
}

TEST(GenerateCli, ImagePromptAnswersAsTheLibraryDoes) {
  SKIP_WITHOUT_MEDIA();
  test::TempDir dir;
  test::opencv_write_image(dir.file("photo.png"), 40, 52, 3, {30, 140, 220, 0}, {{5, 5, 20, 12, {250, 10, 10, 0}}});
  const std::string model = data_path("hf-tiny-llava-clip-llama/base");
  const auto result = run_vltune("generate --model " + model + " --tokenizer " + tiny_tokenizer_path() + " --image " +
                                 dir.file("photo.png") + " --prompt 'What colour is the shirt?' --max-new-tokens 6 --show-ids");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(printed_ids(result.output),
            library_answer(model, "<image>\nWhat colour is the shirt?", dir.file("photo.png"), "llava_v1"))
      << result.output;
}

}  // namespace
}  // namespace vltune
