// The vltune binary end to end: `vltune forward` reproduces transformers' outputs from files, and
// `vltune inspect` describes a model.
#include <array>
#include <cstdio>

#include "core/safetensors.h"
#include "test_support.h"

namespace vltune {
namespace {

using test::data_path;
using test::max_abs_diff;

struct Result {
  int status;
  std::string output;
};

Result run_vltune(const std::string& args) {
  const std::string command = std::string(VLTUNE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = ::pclose(pipe);
  return {WEXITSTATUS(status), output};
}

TEST(Cli, ForwardMatchesTransformers) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  const auto result = run_vltune("forward --model " + fixture + "/base --inputs " + fixture + "/inputs.safetensors --out " +
                                 dir.file("out.safetensors"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto out = safetensors::File::open(dir.file("out.safetensors"));
  const auto expected = safetensors::File::open(fixture + "/expected.safetensors");
  EXPECT_LT(max_abs_diff(out->tensor("logits"), expected->tensor("base_logits")), 1e-4);
  EXPECT_LT(max_abs_diff(out->tensor("image_features"), expected->tensor("image_features")), 1e-4);
  const double loss = out->tensor("loss").item<double>(), want = expected->tensor("base_loss").item<double>();
  EXPECT_NEAR(loss, want, 1e-5 * want);
}

TEST(Cli, InspectListsComponentsAndTargets) {
  const auto result = run_vltune("inspect " + data_path("hf-tiny-llava-clip-llama/base"));
  ASSERT_EQ(result.status, 0) << result.output;
  for (const char* fragment : {"llava (clip_vision_model + llama)", "transformers 5", "vision_tower", "language_model",
                               "multi_modal_projector", "q_proj", "down_proj", "out_proj", "linear_1", "25 visual tokens"})
    EXPECT_NE(result.output.find(fragment), std::string::npos) << fragment << "\n" << result.output;
}

TEST(Cli, BadInputsFailWithAMessage) {
  test::TempDir dir;
  const std::string fixture = data_path("hf-tiny-llava-clip-llama");
  safetensors::write_file(dir.file("in.safetensors"), {{"attention_mask", torch::ones({1, 3})}});
  const auto result = run_vltune("forward --model " + fixture + "/base --inputs " + dir.file("in.safetensors") +
                                 " --out " + dir.file("out.safetensors"));
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.output.find("required tensor 'input_ids' is missing"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.safetensors")));
}

}  // namespace
}  // namespace vltune
