// training/checkpoint: a run resumed from a checkpoint continues bit-identically (adapter,
// optimizer moments and step, RNG, data position), only the last K are kept, and a half-written
// checkpoint is never taken for a complete one.
#include "adapters/placement.h"
#include "core/atomic_file.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"
#include "test_support.h"
#include "training/checkpoint.h"

namespace vltune::training {
namespace {

using test::data_path;
using test::TempDir;

struct TrainingRun {
  multimodal::LoadedModel loaded = multimodal::load_model(data_path("hf-tiny-llava-clip-llama/base"));
  std::unique_ptr<adapters::AttachedSet> attached;  // detached before the model goes
  adapters::AdapterSet* set = nullptr;               // attached->set
  std::unique_ptr<FlatAdamW> optimizer;
  multimodal::ForwardInputs inputs;

  TrainingRun(const std::string& yaml, uint64_t seed) {
    attached = std::make_unique<adapters::AttachedSet>(adapters::build_adapter_set(
        "run", adapters::plan_adapters(adapters::load_placement(yaml), adapters::linear_sites(*loaded.model)), seed));
    set = attached->set.get();
    set->train(true);
    optimizer = std::make_unique<FlatAdamW>(set->named_parameters(), AdamWOptions{1e-2}, [](const std::string& name) {
      return test::contains(name, "magnitude") ? ParamGroupOptions{1.0, 0.0} : ParamGroupOptions{1.0, 0.01};
    });
    auto file = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/inputs.safetensors"));
    inputs = test::fixture_inputs(*file);
  }
  void steps(int n) {
    for (int i = 0; i < n; ++i) {
      optimizer->zero_grad();
      loaded.model->forward(inputs).loss.backward();
      optimizer->clip_grad_norm(1.0);
      optimizer->step(1e-2);
    }
  }
};

std::string placement(const TempDir& dir) {
  write_file_atomically(dir.file("a.yaml"), "adapters: {preset: dora_half, rank: 2, alpha: 4}\n");
  return dir.file("a.yaml");
}

TEST(Checkpoint, ResumedRunIsBitIdentical) {
  TempDir dir;
  TrainingRun first(placement(dir), 1);
  first.steps(2);
  TrainState state{2, {0, 5}, at::detail::getDefaultCPUGenerator().get_state()};
  const auto saved = save_checkpoint(dir.file("run"), *first.set, *first.optimizer, state, true, 3);
  first.steps(2);
  const auto finished = first.optimizer->values().clone();

  TrainingRun second(placement(dir), 99);  // other initial values, all overwritten by the checkpoint
  const auto resumed = load_checkpoint(saved, *second.set, *second.optimizer, true);
  EXPECT_EQ(resumed.step, 2);
  EXPECT_EQ(resumed.data.cursor, 5);
  EXPECT_TRUE(torch::equal(resumed.rng_state, state.rng_state));
  EXPECT_EQ(second.optimizer->steps(), 2);
  second.steps(2);
  EXPECT_TRUE(torch::equal(second.optimizer->values(), finished));
}

// The optimizer's own step count (its bias correction) comes back as saved, even where it lags the
// run's step (state.json allows 0..step).
TEST(Checkpoint, RestoresTheOptimizersOwnStepCount) {
  TempDir dir;
  TrainingRun first(placement(dir), 1);
  first.steps(2);
  TrainState state;
  state.step = 3;
  const auto saved = save_checkpoint(dir.file("run"), *first.set, *first.optimizer, state, true, 3);
  TrainingRun second(placement(dir), 99);
  EXPECT_EQ(load_checkpoint(saved, *second.set, *second.optimizer, true).optimizer_steps, 2);
  EXPECT_EQ(second.optimizer->steps(), 2);
}

TEST(Checkpoint, KeepsTheLastKAndIgnoresHalfWrittenOnes) {
  TempDir dir;
  TrainingRun run(placement(dir), 1);
  for (int64_t step = 1; step <= 4; ++step) {
    TrainState state;
    state.step = step;
    save_checkpoint(dir.file("run"), *run.set, *run.optimizer, state, true, 2);
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("run/checkpoints"))) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"step-00000003", "step-00000004"}));
  std::filesystem::create_directories(dir.file("run/checkpoints/step-00000009.tmp"));  // a crash mid-write
  EXPECT_EQ(*latest_checkpoint(dir.file("run")), dir.file("run/checkpoints/step-00000004"));
  EXPECT_FALSE(latest_checkpoint(dir.file("elsewhere")));

  write_file_atomically(dir.file("b.yaml"), "adapters: {preset: attention_only, method: lora, rank: 2}\n");
  TrainingRun other(dir.file("b.yaml"), 1);
  test::expect_error([&] { load_checkpoint(dir.file("run/checkpoints/step-00000004"), *other.set, *other.optimizer, true); },
                     {"no tensor", "lora_A"});
}

}  // namespace
}  // namespace vltune::training
