// training/flat_adamw: the arena AdamW gives torch.optim.AdamW's numbers exactly, keeps the
// parameters as views, groups by options; clipping and the schedules by hand.
#include <cmath>

#include "core/torch_compat.h"
#include "test_support.h"
#include "training/flat_adamw.h"

namespace vltune::training {
namespace {

TEST(FlatAdamW, MatchesTorchAdamWExactly) {
  torch::manual_seed(0);
  std::vector<torch::Tensor> ours = {torch::randn({4, 3}), torch::randn({5}), torch::randn({2, 2})};
  std::vector<torch::Tensor> theirs;
  for (auto& t : ours) {
    t.requires_grad_(true);
    theirs.push_back(t.detach().clone().requires_grad_(true));
  }
  // Two groups: decay on the matrices, none (and half the lr) on the vector.
  FlatAdamW flat({{"a.weight", ours[0]}, {"b.magnitude", ours[1]}, {"c.weight", ours[2]}}, {1e-2, 0.9, 0.999, 1e-8},
                 [](const std::string& name) {
                   return test::contains(name, "magnitude") ? ParamGroupOptions{0.5, 0.0} : ParamGroupOptions{1.0, 0.1};
                 });
  EXPECT_EQ(flat.num_groups(), 2u);
  torch::optim::AdamW decayed({theirs[0], theirs[2]}, torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
  torch::optim::AdamW plain({theirs[1]}, torch::optim::AdamWOptions(0.5e-2).weight_decay(0.0));
  for (int step = 0; step < 5; ++step) {
    flat.zero_grad();
    decayed.zero_grad();
    plain.zero_grad();
    const auto probe_a = torch::randn({4, 3}), probe_b = torch::randn({5}), probe_c = torch::randn({2, 2});
    ((ours[0] * probe_a).sum() + (ours[1].pow(2) * probe_b).sum() + (ours[2] * probe_c).sum()).backward();
    ((theirs[0] * probe_a).sum() + (theirs[1].pow(2) * probe_b).sum() + (theirs[2] * probe_c).sum()).backward();
    flat.step(1e-2);
    decayed.step();
    plain.step();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(ours[i], theirs[i])) << "tensor " << i << " step " << step;
  }
  // The parameters live in the arena, gradients too: the no-decay group (b, 5 values) comes first.
  EXPECT_EQ(ours[1].data_ptr<float>(), flat.values().data_ptr<float>());
  EXPECT_EQ(ours[0].data_ptr<float>(), flat.values().data_ptr<float>() + 5);
  EXPECT_EQ(ours[0].grad().data_ptr<float>(), flat.grads().data_ptr<float>() + 5);
}

TEST(FlatAdamW, AnUpdateChangesTheParametersVersions) {
  // Anything cached on a parameter's version (DoRA's norm in eval mode, for one) must see the update.
  auto a = torch::ones({3}).requires_grad_(true);
  FlatAdamW flat({{"a", a}}, {}, [](const std::string&) { return ParamGroupOptions{}; });
  (a * 2).sum().backward();
  const auto before = a._version();
  flat.step(1e-2);
  EXPECT_GT(a._version(), before);
  const auto restored = a._version();
  flat.exp_avg_view().zero_();
  torch::NoGradGuard no_grad;
  flat.values().copy_(torch::zeros({3}));  // as a checkpoint's restore writes the arena
  EXPECT_GT(a._version(), restored);
}

// The arena takes the parameters' values before it allocates gradients and moments, and each
// tensor's own storage is freed once it points into the arena: at no time do the parameters exist
// twice beside the gradients and moments (full fine-tuning's peak; regression: the arena used to
// allocate all four buffers first, 5 copies of the parameters at once).
TEST(FlatAdamW, TheParametersOwnStorageIsFreedBeforeTheGradientsAndMomentsExist) {
  const torch::Device device = torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  auto weight = torch::randn({256, 1024}, torch::TensorOptions().device(device)).requires_grad_(true);
  const c10::weak_intrusive_ptr<c10::StorageImpl> original(weight.storage().getWeakStorageImpl());
  compat::reset_peak_device_allocated_bytes(device);
  const auto before = compat::peak_device_allocated_bytes(device);
  training::FlatAdamW optimizer({{"weight", weight}}, {}, [](const std::string&) { return training::ParamGroupOptions{}; });
  EXPECT_TRUE(original.expired()) << "the parameter's first storage outlived its move into the arena";
  const auto peak = compat::peak_device_allocated_bytes(device);
  if (!before || !peak) GTEST_SKIP() << "no allocator statistics on " << device;
  // Beyond the parameter itself: its move into the arena, then gradients and moments in its place.
  const int64_t bytes = weight.numel() * 4;
  EXPECT_LE(*peak - *before, 3 * bytes + (1 << 16)) << "a second copy of the parameters sat beside the moments";
}

TEST(FlatAdamW, ClipsTheGlobalNorm) {
  auto a = torch::zeros({2}).requires_grad_(true);
  auto b = torch::zeros({1}).requires_grad_(true);
  FlatAdamW flat({{"a", a}, {"b", b}}, {}, [](const std::string&) { return ParamGroupOptions{}; });
  (a * torch::tensor({3.0f, 0.0f})).sum().backward();
  (b * torch::tensor({4.0f})).sum().backward();
  EXPECT_NEAR(flat.clip_grad_norm(1.0), 5.0, 1e-6);
  EXPECT_NEAR(flat.grads().norm().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(a.grad()[0].item<double>(), 0.6, 1e-5);
  test::expect_error([] { FlatAdamW({}, {}, [](const std::string&) { return ParamGroupOptions{}; }); }, {"nothing to train"});
}

TEST(Schedules, WarmupThenCosineLinearConstant) {
  EXPECT_DOUBLE_EQ(schedule_factor("cosine", 5, 10, 110), 0.5);
  EXPECT_DOUBLE_EQ(schedule_factor("cosine", 10, 10, 110), 1.0);
  EXPECT_NEAR(schedule_factor("cosine", 60, 10, 110), 0.5, 1e-12);
  EXPECT_NEAR(schedule_factor("cosine", 110, 10, 110), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(schedule_factor("linear", 35, 10, 110), 0.75);
  EXPECT_DOUBLE_EQ(schedule_factor("constant", 100, 10, 110), 1.0);
  test::expect_error([] { schedule_factor("step", 20, 10, 110); }, {"unknown schedule 'step'"});
}

}  // namespace
}  // namespace vltune::training
