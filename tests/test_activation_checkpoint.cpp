// core/activation_checkpoint: a checkpointed layer gives the plain layer's output and gradients
// (and finite differences', in fp64); an adapter inside a frozen layer over an input that needs no
// gradient still gets its gradient, with dropout masks replayed; nothing needing a gradient means no
// graph. On the LLaVA fixture with DoRA (dropout 0.1) on the decoder's attention, and on the vision
// tower's too, the loss and every adapter gradient equal those without checkpointing, bit for bit on
// the CPU, and a forward with a KV cache never checkpoints.
#include <yaml-cpp/yaml.h>

#include <unordered_set>

#include "adapters/adapter_set.h"
#include "adapter_spec_builder.h"
#include "adapters/lora.h"
#include "adapters/placement.h"
#include "core/activation_checkpoint.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using test::data_path;

// y = W2 tanh(W1 x + b1) + b2, in fp64 with weights drawn from `seed`.
struct TwoLinearImpl : torch::nn::Module {
  explicit TwoLinearImpl(uint64_t seed) {
    first = register_module("first", Linear(LinearOptions{4, 6, true, torch::kFloat64}));
    second = register_module("second", Linear(LinearOptions{6, 5, true, torch::kFloat64}));
    auto generator = at::detail::createCPUGenerator(seed);
    torch::NoGradGuard no_grad;
    for (auto& p : parameters()) p.copy_(torch::randn(p.sizes(), generator, torch::kFloat64) * 0.5);
  }
  torch::Tensor forward(const torch::Tensor& x) { return second(torch::tanh(first(x))); }
  void freeze() {
    for (auto& p : parameters()) p.set_requires_grad(false);
  }
  Linear first{nullptr}, second{nullptr};
};
TORCH_MODULE(TwoLinear);

torch::Tensor through_checkpoint(TwoLinear& layer, const torch::Tensor& x) {
  return checkpointed_forward(*layer, x, [layer](const torch::Tensor& input) mutable { return layer(input); });
}

int64_t checkpoint_nodes(const torch::Tensor& output) {
  int64_t count = 0;
  std::unordered_set<torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> pending;
  if (output.grad_fn()) pending.push_back(output.grad_fn().get());
  while (!pending.empty()) {
    auto* node = pending.back();
    pending.pop_back();
    if (!seen.insert(node).second) continue;
    count += test::contains(node->name(), "CheckpointedLayer");
    for (const auto& edge : node->next_edges())
      if (edge.function) pending.push_back(edge.function.get());
  }
  return count;
}

TEST(CheckpointedForward, MatchesThePlainLayerAndFiniteDifferences) {
  TwoLinear layer(3);
  const auto x = torch::randn({3, 4}, at::detail::createCPUGenerator(4), torch::kFloat64).requires_grad_();
  const auto probe = torch::randn({3, 5}, at::detail::createCPUGenerator(5), torch::kFloat64);
  std::vector<torch::Tensor> wrt{x};
  for (const auto& p : layer->parameters()) wrt.push_back(p);

  const auto plain = layer(x);
  const auto want = torch::autograd::grad({(plain * probe).sum()}, wrt);
  const auto checkpointed = through_checkpoint(layer, x);
  EXPECT_EQ(checkpoint_nodes(checkpointed), 1);
  EXPECT_TRUE(torch::equal(checkpointed, plain));
  const auto got = torch::autograd::grad({(checkpointed * probe).sum()}, wrt);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(torch::equal(got[i], want[i])) << "tensor " << i;

  const double eps = 1e-6;
  torch::NoGradGuard no_grad;
  auto loss = [&] { return (layer(x) * probe).sum().item<double>(); };
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    auto flat = wrt[i].view({-1});
    for (int64_t k = 0; k < flat.numel(); ++k) {
      const double saved = flat[k].item<double>();
      flat[k].fill_(saved + eps);
      const double up = loss();
      flat[k].fill_(saved - eps);
      const double down = loss();
      flat[k].fill_(saved);
      EXPECT_NEAR(got[i].view({-1})[k].item<double>(), (up - down) / (2 * eps), 1e-7) << "tensor " << i << " entry " << k;
    }
  }
}

// The first decoder layer's case: frozen weights, an input that needs no gradient, an adapter with
// dropout inside. The adapter still gets its gradient, the recomputation draws the same dropout mask,
// and the random generator ends where the plain step leaves it.
TEST(CheckpointedForward, AdapterInFrozenLayerOverFrozenInputWithDropout) {
  TwoLinear layer(6);
  layer->freeze();
  auto generator = at::detail::createCPUGenerator(7);
  const adapters::AdapterSpec spec = test::spec(adapters::Method::kLora).rank(2).alpha(4).dropout(0.5);
  auto lora = std::make_shared<adapters::LoraAdapter>(layer->first, spec, generator);
  {
    torch::NoGradGuard no_grad;
    lora->lora_b.copy_(torch::randn(lora->lora_b.sizes(), generator));
  }
  layer->first->adapter = lora.get();
  const auto found = trainable_tensors(*layer);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].is_same(lora->lora_a));
  EXPECT_TRUE(found[1].is_same(lora->lora_b));

  const auto x = torch::randn({8, 4}, generator, torch::kFloat64);
  struct Step {
    torch::Tensor output, grad_a, grad_b, next_draw;
  };
  auto step = [&](bool checkpoint) {
    torch::manual_seed(11);
    lora->lora_a.mutable_grad() = torch::Tensor();
    lora->lora_b.mutable_grad() = torch::Tensor();
    const auto y = checkpoint ? through_checkpoint(layer, x) : layer(x);
    EXPECT_EQ(checkpoint_nodes(y), checkpoint ? 1 : 0);
    y.pow(2).sum().backward();
    return Step{y.detach(), lora->lora_a.grad(), lora->lora_b.grad(), torch::rand({4})};
  };
  const auto plain = step(false), checkpointed = step(true);
  EXPECT_TRUE(torch::equal(checkpointed.output, plain.output));
  ASSERT_TRUE(checkpointed.grad_a.defined() && checkpointed.grad_b.defined());
  EXPECT_TRUE(torch::equal(checkpointed.grad_a, plain.grad_a));
  EXPECT_TRUE(torch::equal(checkpointed.grad_b, plain.grad_b));
  EXPECT_TRUE(torch::equal(checkpointed.next_draw, plain.next_draw));
  torch::manual_seed(12);
  EXPECT_FALSE(torch::equal(layer(x), plain.output)) << "dropout should make the seed matter";
  layer->first->adapter = nullptr;
}

TEST(CheckpointedForward, NothingNeedingAGradientKeepsNoGraph) {
  TwoLinear layer(8);
  const auto x = torch::randn({2, 4}, torch::kFloat64);
  {
    torch::NoGradGuard no_grad;  // evaluation and generation: the plain call
    const auto y = through_checkpoint(layer, x.clone().requires_grad_());
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(y.grad_fn());
  }
  layer->freeze();
  const auto y = through_checkpoint(layer, x);  // a frozen layer over a frozen input
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.grad_fn());
  EXPECT_TRUE(torch::equal(y, layer(x)));

  // A frozen layer over an input that needs a gradient: one node, linked to the input only.
  const auto leaf = x.clone().requires_grad_();
  const auto z = through_checkpoint(layer, leaf);
  ASSERT_TRUE(z.grad_fn());
  EXPECT_EQ(checkpoint_nodes(z), 1);
  EXPECT_EQ(z.grad_fn()->next_edges().size(), 1u);
}

// An adapter that is not a module hides its tensors: checkpointing refuses rather than drop gradients.
struct OpaqueAdapter : LinearAdapter {
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) override {
    return torch::nn::functional::linear(x, weight, bias);
  }
};

TEST(CheckpointedForward, AdapterThatIsNotAModuleIsAnError) {
  TwoLinear layer(9);
  OpaqueAdapter opaque;
  layer->second->adapter = &opaque;
  test::expect_error([&] { through_checkpoint(layer, torch::randn({2, 4}, torch::kFloat64)); },
                     {"[checkpoint]", "not a torch::nn::Module"});
  layer->second->adapter = nullptr;
}

// ---- the LLaVA fixture ---------------------------------------------------------------------------

const char* kDecoderOnly =
    "adapters:\n  rules:\n"
    "    - {component: language, modules: attention, method: dora, rank: 4, alpha: 8, dropout: 0.1}\n";
const char* kVisionAndDecoder =
    "adapters:\n  rules:\n"
    "    - {component: language, modules: attention, method: dora, rank: 4, alpha: 8, dropout: 0.1}\n"
    "    - {component: vision, modules: attention, layers: [0, 1], method: dora, rank: 4, alpha: 8, dropout: 0.1}\n";

struct FixtureStep {
  torch::Tensor loss;
  std::vector<torch::Tensor> grads;
  int64_t checkpoints = 0;
  torch::Tensor next_draw;
};

class FixtureCheckpointing : public ::testing::Test {
 protected:
  void build(const char* yaml) {
    const auto sites = adapters::linear_sites(*loaded.model);
    auto built = adapters::build_adapter_set("ckpt", adapters::plan_adapters(adapters::parse_placement(YAML::Load(yaml)["adapters"], "test"), sites), 5);
    auto generator = at::detail::createCPUGenerator(9);
    torch::NoGradGuard no_grad;
    for (auto& p : built->parameters()) p.add_(torch::randn(p.sizes(), generator) * 0.05);
    attached = std::make_unique<adapters::AttachedSet>(std::move(built));
    set = attached->set.get();
    set->train(true);
  }

  FixtureStep step(bool checkpointing, uint64_t seed = 21) {
    loaded.model->set_gradient_checkpointing(checkpointing);
    for (auto& p : set->parameters()) p.mutable_grad() = torch::Tensor();
    torch::manual_seed(seed);
    FixtureStep result;
    const auto out = loaded.model->forward(inputs());
    result.checkpoints = checkpoint_nodes(out.loss);
    out.loss.backward();
    result.loss = out.loss.detach();
    for (const auto& p : set->parameters()) result.grads.push_back(p.grad());
    result.next_draw = torch::rand({4});
    return result;
  }

  multimodal::ForwardInputs inputs() const {
    return test::fixture_inputs(*file);
  }

  void expect_same_step(int64_t expected_checkpoints) {
    const auto plain = step(false), checkpointed = step(true);
    EXPECT_EQ(plain.checkpoints, 0);
    EXPECT_EQ(checkpointed.checkpoints, expected_checkpoints);
    EXPECT_TRUE(torch::equal(checkpointed.loss, plain.loss))
        << checkpointed.loss.item<double>() << " vs " << plain.loss.item<double>();
    const auto names = set->named_parameters();
    ASSERT_EQ(checkpointed.grads.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      ASSERT_TRUE(plain.grads[i].defined() && checkpointed.grads[i].defined()) << names[i].first;
      EXPECT_TRUE(torch::equal(checkpointed.grads[i], plain.grads[i]))
          << names[i].first << ": max difference " << test::max_abs_diff(checkpointed.grads[i], plain.grads[i]);
    }
    EXPECT_TRUE(torch::equal(checkpointed.next_draw, plain.next_draw));
    EXPECT_FALSE(torch::equal(step(false, 22).loss, plain.loss)) << "dropout should make the seed matter";
  }

  multimodal::LoadedModel loaded = multimodal::load_model(data_path("hf-tiny-llava-clip-llama/base"));
  std::shared_ptr<safetensors::File> file = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/inputs.safetensors"));
  std::unique_ptr<adapters::AttachedSet> attached;  // detached before the model goes
  adapters::AdapterSet* set = nullptr;               // attached->set
};

TEST_F(FixtureCheckpointing, DecoderOnlyDoraWithDropoutMatchesBitForBit) {
  build(kDecoderOnly);
  expect_same_step(loaded.model->config().text.num_layers);  // the frozen tower runs plainly
}

TEST_F(FixtureCheckpointing, VisionAndDecoderDoraWithDropoutMatchesBitForBit) {
  build(kVisionAndDecoder);
  // The tower runs the layers up to vision_feature_layer -2: all but its last.
  const int64_t vision_layers_run = loaded.model->config().vision->num_layers - 1;
  expect_same_step(loaded.model->config().text.num_layers + vision_layers_run);
}

TEST_F(FixtureCheckpointing, KvCacheForwardNeverCheckpoints) {
  build(kDecoderOnly);
  loaded.model->set_gradient_checkpointing(true);
  auto& decoder = *loaded.model->language_model;
  const auto ids = file->tensor("input_ids").narrow(1, 0, 4).clamp_max(loaded.model->config().text.vocab_size - 1);
  const auto embeds = decoder.embed(ids);
  const auto mask = torch::ones_like(ids);
  language::KVCache cache;
  const auto cached = decoder.forward(embeds, mask, &cache);
  EXPECT_TRUE(cached.requires_grad());
  EXPECT_EQ(checkpoint_nodes(cached), 0);
  const auto uncached = decoder.forward(embeds, mask);
  EXPECT_EQ(checkpoint_nodes(uncached), decoder.config().num_layers);
}

}  // namespace
}  // namespace vltune
