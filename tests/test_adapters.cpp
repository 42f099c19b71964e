// adapters/: parity with PEFT (DoRA, LoRA with rank/alpha patterns and rslora, VeRA) on logits,
// every gradient and merged weights; finite-difference gradient checks in fp64 for every method;
// the factored norm; file round trips; switching sets on one backbone; placement rules.
#include <fstream>
#include <set>

#include "adapters/adapter_set.h"
#include "adapters/dora.h"
#include "adapters/full.h"
#include "adapters/method_table.h"
#include "adapters/peft_io.h"
#include "adapters/placement.h"
#include "adapters/weight_norm.h"
#include "adapter_spec_builder.h"
#include "core/atomic_file.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"
#include "training/flat_adamw.h"

namespace vltune {
namespace {

using namespace adapters;
using test::data_path;
using test::expect_error;
using test::max_abs_diff;
using test::TempDir;

const std::string kBase = "hf-tiny-llava-clip-llama/base";

struct Inputs {
  std::shared_ptr<safetensors::File> file = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/inputs.safetensors"));
  multimodal::ForwardInputs forward(torch::Device device) const {
    return test::fixture_inputs(*file, device);
  }
};

double tolerance() { return test::test_device().is_cpu() ? 1e-4 : 1e-3; }

// Loads the base, applies the PEFT adapter in `adapter_dir`, and checks adapted logits, loss, every
// gradient (relative to each tensor's max magnitude) and merged logits against `expected`.
void expect_peft_parity(const std::string& adapter_dir, const std::string& expected_path) {
  const auto device = test::test_device();
  multimodal::LoadOptions options;
  options.device = device;
  auto loaded = multimodal::load_model(data_path(kBase), options);
  auto set = load_peft_adapter(data_path(adapter_dir), *loaded.model, true);
  const auto expected = safetensors::File::open(data_path(expected_path));
  const Inputs inputs;

  set->attach();
  set->train(true);
  auto out = loaded.model->forward(inputs.forward(device));
  EXPECT_TENSORS_NEAR(out.logits, expected->tensor("adapted_logits"), tolerance());
  EXPECT_NEAR(out.loss.item<double>(), expected->tensor("adapted_loss").item<double>(), tolerance());
  out.loss.backward();

  const auto& layout = peft_layout(true);
  std::size_t checked = 0;
  for (const auto& entry : set->entries())
    for (const auto& [suffix, grad] : entry.adapter->file_gradients()) {
      const auto name = "grad." + test::peft_in_memory_name(peft_key(layout, entry.path, suffix));
      ASSERT_TRUE(expected->find(name)) << name;
      const auto want = expected->tensor(name);
      // A module whose output never reaches the loss (CLIP's last layer with feature layer -2) gets
      // no gradient here and a zero one in PEFT.
      const auto got = grad.defined() ? grad : torch::zeros_like(want);
      EXPECT_TENSORS_NEAR(got, want, tolerance() * std::max(test::max_abs(want), 1e-12)) << name;
      ++checked;
    }
  std::size_t expected_grads = 0;
  for (const auto& info : expected->tensors()) expected_grads += info.name.rfind("grad.", 0) == 0;
  EXPECT_EQ(checked, expected_grads);

  std::vector<torch::Tensor> originals;
  for (const auto& entry : set->entries()) originals.push_back(entry.adapter->base()->weight.detach().clone());
  set->merge();
  loaded.model->eval();
  {
    torch::NoGradGuard no_grad;
    EXPECT_TENSORS_NEAR(loaded.model->forward(inputs.forward(device)).logits, expected->tensor("merged_logits"),
                        tolerance());
  }
  set->unmerge();
  for (std::size_t i = 0; i < originals.size(); ++i) {
    const auto& w = set->entries()[i].adapter->base()->weight;
    EXPECT_TENSORS_NEAR(w, originals[i], 1e-5 * std::max(1.0, test::max_abs(originals[i])))
        << set->entries()[i].path;
  }
}

TEST(PeftParity, Dora) { expect_peft_parity("hf-tiny-llava-clip-llama/adapter", "hf-tiny-llava-clip-llama/expected.safetensors"); }
TEST(PeftParity, LoraRankAlphaPatternsRsloraVisionProjector) {
  expect_peft_parity("peft-lora-mixed/adapter", "peft-lora-mixed/expected.safetensors");
}
TEST(PeftParity, Vera) { expect_peft_parity("peft-vera/adapter", "peft-vera/expected.safetensors"); }

TEST(PeftParity, VeraProjectionsDrawnAsPeftDoes) {
  const auto expected = safetensors::File::open(data_path("peft-vera/expected.safetensors"));
  const auto drawn = VeraProjections::draw(8, 128, 128, 0);
  EXPECT_TRUE(torch::equal(drawn.a, expected->tensor("vera_A")));
  EXPECT_TRUE(torch::equal(drawn.b, expected->tensor("vera_B")));
}

// ---- finite differences (fp64) -------------------------------------------------------------------

struct GradCase {
  const char* label;
  AdapterSpec spec;
};

// Perturbs every adapter parameter away from its identity initialisation.
void perturb(Adapter& adapter, torch::Generator& generator) {
  torch::NoGradGuard no_grad;
  for (auto& p : adapter.parameters()) p.add_(torch::randn(p.sizes(), generator, torch::kFloat64) * 0.3);
}

// A 4×5 fp64 layer with a bias drawn from `generator`, and rank-3 VeRA projections that fit it.
struct SmallLayer {
  Linear base{LinearOptions{5, 4, true, torch::kFloat64}};
  std::shared_ptr<VeraProjections> projections = std::make_shared<VeraProjections>(VeraProjections::draw(3, 5, 4, 1));

  explicit SmallLayer(torch::Generator& generator) {
    torch::NoGradGuard no_grad;
    base->weight.copy_(torch::randn({4, 5}, generator, torch::kFloat64));
    base->bias.copy_(torch::randn({4}, generator, torch::kFloat64));
    projections->a = projections->a.to(torch::kFloat64);
    projections->b = projections->b.to(torch::kFloat64);
  }
  // An fp64 adapter of `spec` on the layer (rank 3 for the methods that share the projections).
  std::shared_ptr<Adapter> adapter(const AdapterSpec& spec, torch::Generator& generator) const {
    auto adapter = make_adapter(base, spec, generator, projections);
    adapter->to(torch::kFloat64);
    return adapter;
  }
};

TEST(GradCheck, EveryMethodMatchesFiniteDifferences) {
  const std::vector<GradCase> cases = {
      {"lora", test::spec(Method::kLora).rank(3).alpha(6)},
      {"lora rslora", test::spec(Method::kLora).rank(3).alpha(6).rslora()},
      {"dora norm_grad", test::spec(Method::kDora).rank(3).alpha(6).norm_grad()},
      {"magnitude", test::spec(Method::kMagnitude).rank(3).alpha(6)},
      {"vera", test::spec(Method::kVera).rank(3).alpha(6)},
      {"dvora norm_grad", test::spec(Method::kDvora).rank(3).alpha(6).norm_grad()},
      {"full", test::spec(Method::kFull).rank(3).alpha(6)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    auto generator = at::detail::createCPUGenerator(7);
    const SmallLayer layer(generator);
    const auto& base = layer.base;
    auto adapter = layer.adapter(c.spec, generator);
    perturb(*adapter, generator);
    auto x = torch::randn({6, 5}, generator, torch::kFloat64).requires_grad_(true);
    const auto probe = torch::randn({6, 4}, generator, torch::kFloat64);
    auto loss = [&] { return (adapter->forward(x, base->weight, base->bias) * probe).sum(); };

    std::vector<torch::Tensor> wrt = adapter->parameters();
    wrt.push_back(x);
    const auto grads = torch::autograd::grad({loss()}, wrt);
    for (std::size_t i = 0; i < wrt.size(); ++i) {
      auto flat = wrt[i].detach().view({-1});
      auto numeric = torch::zeros_like(flat);
      const double h = 1e-6;
      for (int64_t k = 0; k < flat.numel(); ++k) {
        torch::NoGradGuard no_grad;
        const double saved = flat[k].item<double>();
        flat[k] = saved + h;
        const double up = loss().item<double>();
        flat[k] = saved - h;
        const double down = loss().item<double>();
        flat[k] = saved;
        numeric[k] = (up - down) / (2 * h);
      }
      EXPECT_TENSORS_NEAR(grads[i].view({-1}), numeric, 1e-6 * std::max(1.0, test::max_abs(numeric)))
          << "tensor " << i;
    }
  }
}

// ---- the methods' table (method_table.h) against the adapters the factory builds ---------------

// Each row says what its adapter is: the file tensors in order, the parameter count, the
// parameters AdamW does not decay; and every method's forward pass is its merged weight's.
TEST(MethodTable, EveryRowDescribesTheAdapterItsFactoryBuilds) {
  for (const auto& row : method_table()) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(parse_method(row.name, "test"), row.method);
    auto generator = at::detail::createCPUGenerator(11);
    const SmallLayer layer(generator);
    const AdapterSpec spec = test::spec(row.method).rank(3).alpha(6);
    auto adapter = layer.adapter(spec, generator);

    std::vector<std::string> suffixes;
    for (const auto& entry : adapter->file_tensors()) suffixes.push_back(entry.first);
    EXPECT_EQ(suffixes, row.file_suffixes);
    int64_t count = 0;
    std::set<std::string> registered;
    for (const auto& item : adapter->named_parameters()) {
      count += item.value().numel();
      registered.insert(item.key());
    }
    EXPECT_EQ(count, row.parameters(spec, 4, 5));
    for (const auto& name : row.no_decay) EXPECT_TRUE(registered.count(name)) << name;
    EXPECT_EQ(row.shared_projections, row.peft_type == "VERA");

    perturb(*adapter, generator);
    const auto x = torch::randn({3, 5}, generator, torch::kFloat64);
    torch::NoGradGuard no_grad;
    const auto merged = torch::nn::functional::linear(x, adapter->merged_weight(), layer.base->bias);
    // merged_weight() forms W' in fp32, as merge and export do.
    EXPECT_TENSORS_NEAR(adapter->forward(x, layer.base->weight, layer.base->bias), merged,
                        1e-5 * std::max(1.0, test::max_abs(merged)));
  }
}

// The four low-rank methods (LoRA, DoRA, VeRA, DVoRA) run as one fused autograd node with dropout
// 0 and the norm detached (fused_low_rank_linear.h); magnitude-only and full do not have factors.
TEST(MethodTable, LowRankMethodsTakeTheFusedPath) {
  for (const auto& row : method_table()) {
    SCOPED_TRACE(row.name);
    auto generator = at::detail::createCPUGenerator(5);
    const SmallLayer layer(generator);
    auto adapter = layer.adapter(test::spec(row.method).rank(3).alpha(6), generator);
    const auto x = torch::randn({2, 5}, generator, torch::kFloat64).requires_grad_(true);
    const auto y = adapter->forward(x, layer.base->weight, layer.base->bias);
    ASSERT_TRUE(y.grad_fn());
    const bool fused = test::contains(y.grad_fn()->name(), "FusedLowRankLinear");
    EXPECT_EQ(fused, row.takes_rank) << y.grad_fn()->name();  // the methods with a rank are the low-rank ones
  }
}

// With the norm detached (the default, as in PEFT and the paper §4.3) the forward is one autograd
// node (fused_low_rank_linear.h) whose gradients for x, A, B and m must equal those of
// g ⊙ (W0 x + s B A x) + b with g's norm held constant; with a bias and without (the magnitude's
// gradient is rebuilt from the output then).
// Full fine-tuning's node keeps x only and forms W0 + ΔW again in its backward (adapters/full.h):
// in a bf16 model with an fp32 ΔW its output and gradients are autograd's own linear's, bit for bit.
TEST(FullAdapter, NodeEqualsAutogradsLinearInBf16WithoutKeepingTheWeight) {
  auto generator = at::detail::createCPUGenerator(3);
  Linear base{LinearOptions{64, 48, true, torch::kBFloat16}};
  {
    torch::NoGradGuard no_grad;
    base->weight.copy_(torch::randn({48, 64}, generator, torch::kFloat32));
    base->bias.copy_(torch::randn({48}, generator, torch::kFloat32));
  }
  auto adapter = std::dynamic_pointer_cast<FullAdapter>(make_adapter(base, test::spec(Method::kFull), generator, nullptr));
  ASSERT_TRUE(adapter);
  {
    torch::NoGradGuard no_grad;
    adapter->delta.copy_(0.01 * torch::randn({48, 64}, generator, torch::kFloat32));
  }
  const auto x = torch::randn({2, 7, 64}, generator, torch::kFloat32).to(torch::kBFloat16).requires_grad_(true);
  const auto probe = torch::randn({2, 7, 48}, generator, torch::kFloat32).to(torch::kBFloat16);

  const auto y = adapter->forward(x, base->weight, base->bias);
  EXPECT_THAT(y.grad_fn()->name(), ::testing::HasSubstr("FullLinear"));
  const auto grads = torch::autograd::grad({(y * probe).sum()}, {x, adapter->delta});

  const auto delta = adapter->delta.detach().clone().requires_grad_(true);
  const auto expected = torch::nn::functional::linear(x, base->weight + delta.to(torch::kBFloat16), base->bias);
  const auto expected_grads = torch::autograd::grad({(expected * probe).sum()}, {x, delta});
  EXPECT_TRUE(torch::equal(y, expected));
  EXPECT_TRUE(torch::equal(grads[0], expected_grads[0]));
  EXPECT_TRUE(torch::equal(grads[1], expected_grads[1]));
  EXPECT_EQ(grads[1].scalar_type(), torch::kFloat32);
}

TEST(GradCheck, DetachedNormHoldsTheScaleConstant) {
  for (const bool with_bias : {false, true}) {
    SCOPED_TRACE(with_bias ? "bias" : "no bias");
    auto generator = at::detail::createCPUGenerator(3);
    Linear base(LinearOptions{5, 4, with_bias, torch::kFloat64});
    {
      torch::NoGradGuard no_grad;
      base->weight.copy_(torch::randn({4, 5}, generator, torch::kFloat64));
      if (with_bias) base->bias.copy_(torch::randn({4}, generator, torch::kFloat64));
    }
    const AdapterSpec spec = test::spec(Method::kDora).rank(2).alpha(4);
    auto dora = std::make_shared<DoraAdapter>(base, spec, generator);
    dora->to(torch::kFloat64);
    perturb(*dora, generator);
    auto x = torch::randn({2, 3, 5}, generator, torch::kFloat64).requires_grad_(true);
    const auto probe = torch::randn({2, 3, 4}, generator, torch::kFloat64);
    const std::vector<torch::Tensor> wrt = {x, dora->lora_a, dora->lora_b, dora->magnitude};
    const auto grads = torch::autograd::grad({(dora->forward(x, base->weight, base->bias) * probe).sum()}, wrt);
    // Reference: the same expression in plain ops, with the norm computed outside autograd.
    auto g = dora->magnitude / dora->weight_norm().detach();
    auto reference = g * (torch::matmul(x, base->weight.t()) +
                          spec.scaling() * torch::matmul(torch::matmul(x, dora->lora_a.t()), dora->lora_b.t()));
    if (with_bias) reference = reference + base->bias;
    const auto want = torch::autograd::grad({(reference * probe).sum()}, wrt);
    for (std::size_t i = 0; i < wrt.size(); ++i) EXPECT_TENSORS_NEAR(grads[i], want[i], 1e-12) << "tensor " << i;
  }
}

TEST(WeightNorm, FactoredEqualsMaterialisedWithGradients) {
  auto generator = at::detail::createCPUGenerator(11);
  auto w0 = torch::randn({40, 30}, generator, torch::kFloat64);
  auto a = torch::randn({4, 30}, generator, torch::kFloat64).requires_grad_(true);
  auto b = torch::randn({40, 4}, generator, torch::kFloat64).requires_grad_(true);
  auto factored = factored_row_norm(w0, squared_row_norms(w0).to(torch::kFloat64), a, b, 0.7);
  auto reference = at::linalg_vector_norm(w0 + 0.7 * torch::matmul(b, a), 2, {1}, false, c10::nullopt);
  EXPECT_TENSORS_NEAR(factored, reference, 1e-5);  // fp32 arithmetic inside
  const auto probe = torch::randn({40}, generator, torch::kFloat64);
  const auto g1 = torch::autograd::grad({(factored * probe).sum()}, {a, b});
  const auto g2 = torch::autograd::grad({(reference * probe).sum()}, {a, b});
  EXPECT_TENSORS_NEAR(g1[0], g2[0], 1e-4 * test::max_abs(g2[0]));
  EXPECT_TENSORS_NEAR(g1[1], g2[1], 1e-4 * test::max_abs(g2[1]));
}

// ---- sets on one backbone ---------------------------------------------------------------------------

std::string write_yaml(const TempDir& dir, const std::string& text) {
  const auto path = dir.file("adapters.yaml");
  write_file_atomically(path, text);
  return path;
}

TEST(AdapterSets, RoundTripThroughPeftFiles) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  auto original = load_peft_adapter(data_path("hf-tiny-llava-clip-llama/adapter"), *loaded.model, true);
  save_peft_adapter(*original, dir.path().string(), true);
  auto reread = load_peft_adapter(dir.path().string(), *loaded.model, true);
  ASSERT_EQ(reread->entries().size(), original->entries().size());
  for (std::size_t i = 0; i < original->entries().size(); ++i) {
    auto a = original->entries()[i].adapter->file_tensors();
    auto b = reread->entries()[i].adapter->file_tensors();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(torch::equal(a[k].second, b[k].second)) << a[k].first;
  }
  // Same keys as PEFT's own file, and the config fields PEFT reads.
  auto ours = safetensors::File::open(dir.file("adapter_model.safetensors"));
  auto peft = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/adapter/adapter_model.safetensors"));
  ASSERT_EQ(ours->tensors().size(), peft->tensors().size());
  for (std::size_t i = 0; i < ours->tensors().size(); ++i) EXPECT_EQ(ours->tensors()[i].name, peft->tensors()[i].name);
  const auto config = read_json_file(dir.file("adapter_config.json"));
  const auto reference = read_json_file(data_path("hf-tiny-llava-clip-llama/adapter/adapter_config.json"));
  for (const char* key : {"peft_type", "r", "lora_alpha", "lora_dropout", "use_dora", "use_rslora", "bias", "target_modules"})
    EXPECT_TRUE(config.contains(key)) << key;
  for (const char* key : {"peft_type", "r", "lora_alpha", "use_dora", "use_rslora", "bias"})
    EXPECT_EQ(config[key], reference[key]) << key;
}

// Sets PEFT cannot express in one method (DoRA + magnitude, VeRA + DVoRA + full, LoRA with
// VeRA) still round-trip through vltune's files, with the same forward pass.
TEST(AdapterSets, MixedMethodSetsRoundTrip) {
  auto loaded = multimodal::load_model(data_path(kBase));
  const auto sites = linear_sites(*loaded.model);
  const Inputs inputs;
  for (const char* yaml : {"adapters: {preset: dora_half, rank: 4, alpha: 8}\n",
                           "adapters:\n  rules:\n    - {component: language, modules: attention, method: vera, rank: 4}\n"
                           "    - {component: language, modules: mlp, method: dvora, rank: 4}\n"
                           "    - {component: projector, modules: all_linear, method: full}\n"
                           "    - {component: vision, modules: [fc1], method: lora, rank: 2, alpha: 3, rslora: true}\n"}) {
    SCOPED_TRACE(yaml);
    TempDir dir;
    auto set = build_adapter_set("mixed", plan_adapters(load_placement(write_yaml(dir, yaml)), sites), 5);
    auto generator = at::detail::createCPUGenerator(9);
    for (const auto& entry : set->entries()) perturb(*entry.adapter, generator);
    torch::NoGradGuard no_grad;
    set->attach();
    set->train(false);
    const auto logits = loaded.model->forward(inputs.forward(torch::kCPU)).logits;
    set->detach();
    save_peft_adapter(*set, dir.file("saved"), true);
    auto reread = load_peft_adapter(dir.file("saved"), *loaded.model, true, "reread");
    ASSERT_EQ(reread->entries().size(), set->entries().size());
    for (const auto& entry : set->entries()) {
      auto twin = reread->find(entry.path);
      ASSERT_TRUE(twin) << entry.path;
      EXPECT_EQ(method_name(twin->spec().method), method_name(entry.adapter->spec().method)) << entry.path;
    }
    reread->attach();
    reread->train(false);
    EXPECT_TENSORS_NEAR(loaded.model->forward(inputs.forward(torch::kCPU)).logits, logits, 1e-6);
    reread->detach();
  }
}

TEST(AdapterSets, TwoSetsShareOneBackboneAndSwitch) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  const Inputs inputs;
  torch::NoGradGuard no_grad;
  const auto base_logits = loaded.model->forward(inputs.forward(torch::kCPU)).logits;
  auto dora = load_peft_adapter(data_path("hf-tiny-llava-clip-llama/adapter"), *loaded.model, true, "dora");
  auto vera = load_peft_adapter(data_path("peft-vera/adapter"), *loaded.model, true, "vera");
  const auto weight_ptr = loaded.model->language_model->layers[0]->as<language::LlamaLayerImpl>()->self_attn->q_proj->weight.data_ptr();
  // Both sets hold the model's own layer, not a copy.
  EXPECT_EQ(dora->find("language_model.layers.0.self_attn.q_proj")->base()->weight.data_ptr(), weight_ptr);
  EXPECT_EQ(vera->find("language_model.layers.0.self_attn.q_proj")->base()->weight.data_ptr(), weight_ptr);

  dora->attach();
  const auto with_dora = loaded.model->forward(inputs.forward(torch::kCPU)).logits;
  expect_error([&] { vera->attach(); }, {"cannot attach set 'vera'", "another set"});
  dora->detach();
  vera->attach();
  const auto with_vera = loaded.model->forward(inputs.forward(torch::kCPU)).logits;
  vera->detach();
  const auto again = loaded.model->forward(inputs.forward(torch::kCPU)).logits;
  EXPECT_GT(max_abs_diff(with_dora, base_logits), 1e-2);
  EXPECT_GT(max_abs_diff(with_vera, with_dora), 1e-2);
  EXPECT_TRUE(torch::equal(again, base_logits));
  // No adapter copied the base weight.
  EXPECT_EQ(loaded.model->language_model->layers[0]->as<language::LlamaLayerImpl>()->self_attn->q_proj->weight.data_ptr(),
            weight_ptr);
}

TEST(AdapterSets, EvalNormCacheFollowsParameterUpdates) {
  auto loaded = multimodal::load_model(data_path(kBase));
  auto set = load_peft_adapter(data_path("hf-tiny-llava-clip-llama/adapter"), *loaded.model, true);
  set->train(false);
  auto dora = std::dynamic_pointer_cast<DoraAdapter>(set->entries()[0].adapter);
  ASSERT_TRUE(dora);
  torch::NoGradGuard no_grad;
  const auto before = dora->magnitude_scale().clone();
  dora->lora_b.mul_(2);  // an optimizer step, in place
  const auto after = dora->magnitude_scale();
  const auto fresh = dora->magnitude / dora->weight_norm();
  EXPECT_GT(max_abs_diff(before, after), 1e-6);
  EXPECT_TENSORS_NEAR(after, fresh, 1e-7);

  // The trainer's optimizer writes its arena, not the tensors themselves; the cache must see that too.
  training::FlatAdamW optimizer(set->named_parameters(), {1e-2}, [](const std::string&) { return training::ParamGroupOptions{}; });
  const auto cached = dora->magnitude_scale().clone();
  optimizer.grads().fill_(1);
  optimizer.step(1e-2);
  const auto updated = dora->magnitude_scale();
  EXPECT_GT(max_abs_diff(cached, updated), 1e-6);
  EXPECT_TENSORS_NEAR(updated, dora->magnitude / dora->weight_norm(), 1e-7);
}

TEST(AdapterSets, RefreshedScalesFollowEveryStepAndEqualEachAdaptersOwn) {
  const auto device = test::test_device();
  multimodal::LoadOptions options;
  options.device = device;
  auto loaded = multimodal::load_model(data_path(kBase), options);
  auto set = load_peft_adapter(data_path("hf-tiny-llava-clip-llama/adapter"), *loaded.model, true);
  set->train(true);
  training::FlatAdamW optimizer(set->named_parameters(), {1e-2}, [](const std::string&) { return training::ParamGroupOptions{}; });
  std::vector<std::shared_ptr<DoraAdapter>> doras;
  for (const auto& entry : set->entries())
    if (auto dora = std::dynamic_pointer_cast<DoraAdapter>(entry.adapter)) doras.push_back(dora);
  ASSERT_FALSE(doras.empty());
  for (int step = 0; step < 4; ++step) {
    set->refresh_scales();
    for (const auto& dora : doras) {
      ASSERT_TRUE(dora->scales_fresh()) << "step " << step;
      torch::NoGradGuard no_grad;
      const auto norm = dora->weight_norm();
      const auto& scales = dora->detached_scales();
      EXPECT_TENSORS_NEAR(scales.norm, norm, 1e-6) << "step " << step;
      EXPECT_TENSORS_NEAR(scales.g, dora->magnitude / norm, 1e-6) << "step " << step;
      EXPECT_TENSORS_NEAR(scales.magnitude_divisor, dora->magnitude, 1e-6) << "step " << step;
    }
    optimizer.grads().fill_(0.5);
    optimizer.step(1e-2);  // every parameter moves: the next refresh must see it
  }
  // On CUDA the work ran once as is, then was captured once and replayed.
  EXPECT_EQ(set->scale_captures(), device.is_cuda() ? 1 : 0);
}

// ---- placement ------------------------------------------------------------------------------------

int64_t count_method(const std::vector<PlannedAdapter>& plan, Method m) {
  return std::count_if(plan.begin(), plan.end(), [m](const PlannedAdapter& p) { return p.spec.method == m; });
}

TEST(Placement, PresetsOnTheFixture) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  const auto sites = linear_sites(*loaded.model);
  auto plan_for = [&](const std::string& yaml) { return plan_adapters(load_placement(write_yaml(dir, yaml)), sites); };

  const auto attention = plan_for("adapters: {preset: attention_only, method: dora, rank: 4}\n");
  EXPECT_EQ(attention.size(), 8u);  // q, k, v, o x 2 layers
  EXPECT_EQ(count_method(attention, Method::kDora), 8);

  const auto full_layer = plan_for("adapters: {preset: full_layer}\n");
  EXPECT_EQ(full_layer.size(), 14u);

  const auto half = plan_for("adapters: {preset: dora_half, rank: 4}\n");
  EXPECT_EQ(count_method(half, Method::kDora), 6);
  EXPECT_EQ(count_method(half, Method::kMagnitude), 8);

  const auto both = plan_for(
      "adapters:\n  preset: vision_and_language\n  rules:\n    - {component: projector, modules: all_linear, method: full}\n");
  EXPECT_EQ(both.size(), 6u * 3 + 7u * 2 + 2);
  EXPECT_EQ(count_method(both, Method::kFull), 2);

  const auto last = plan_for("adapters:\n  - {component: vision, modules: [q_proj], layers: \"last:2\"}\n"
                             "  - {component: language, modules: mlp, layers: [1], exclude: [up_proj]}\n");
  ASSERT_EQ(last.size(), 4u);
  EXPECT_EQ(last[0].site.path, "vision_tower.encoder.layers.1.self_attn.q_proj");
  EXPECT_EQ(last[2].site.path, "language_model.layers.1.mlp.gate_proj");
}

TEST(Placement, RuleMatchingNothingListsCandidates) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  const auto path = write_yaml(dir, "adapters:\n  - {component: language, modules: [qkv_proj]}\n");
  expect_error([&] { plan_adapters(load_placement(path), linear_sites(*loaded.model)); },
               {"rule 1", "adapters.yaml:2:5", "matches no module", "q_proj", "down_proj", "layers 0-1"});
}

TEST(Placement, TheMoreSpecificRuleWinsAndPlanNamesIt) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  const auto path = write_yaml(dir, "adapters:\n  preset: attention_only\n  method: dora\n  rules:\n"
                                    "    - {component: language, modules: [q_proj], layers: \"0-0\", method: lora}\n");
  const auto placement = load_placement(path);  // the plan points at its rules
  const auto plan = plan_adapters(placement, linear_sites(*loaded.model));
  ASSERT_EQ(plan.size(), 8u);  // q, k, v, o x 2 layers, once each
  EXPECT_EQ(count_method(plan, Method::kLora), 1);
  EXPECT_EQ(count_method(plan, Method::kDora), 7);
  const auto text = describe_plan(plan, 1000);
  const auto line_start = text.find("language_model.layers.0.self_attn.q_proj");
  ASSERT_NE(line_start, std::string::npos);
  const auto line = text.substr(line_start, text.find('\n', line_start) - line_start);
  EXPECT_THAT(line, HasSubstr("lora"));
  EXPECT_THAT(line, HasSubstr("rule 1 ("));
  EXPECT_THAT(text, HasSubstr("preset attention_only, rule 1"));
}

// Review finding: a plan held a pointer into its Placement, so a plan made from a temporary one
// dangled. Each entry now keeps its rule's origin and VeRA seed by value.
TEST(Placement, APlanOutlivesItsRules) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  auto placement = std::make_unique<Placement>(load_placement(write_yaml(
      dir, "adapters:\n  - {component: language, modules: [q_proj], method: vera, rank: 4, projection_prng_key: 7}\n"
           "  - {component: language, modules: [v_proj], method: vera, rank: 4, projection_prng_key: 8}\n")));
  const auto plan = plan_adapters(*placement, linear_sites(*loaded.model));
  for (auto& rule : placement->rules) {  // what a plan pointing at its rules would now read
    rule.origin = "overwritten";
    rule.vera_seed = 7;
  }
  placement.reset();
  ASSERT_EQ(plan.size(), 4u);
  const auto text = describe_plan(plan, 1000);
  EXPECT_THAT(text, Not(HasSubstr("overwritten")));
  EXPECT_THAT(text, HasSubstr("rule 2 ("));
  EXPECT_EQ(plan[0].vera_seed, 7);
  EXPECT_EQ(plan[3].vera_seed, 8);
  expect_error([&] { build_adapter_set("vera", plan, 1); }, {"projection_prng_key", "rule 1 (", "rule 2 ("});
}

TEST(Placement, EquallySpecificRulesOnOneModuleNameBoth) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  const auto path = write_yaml(dir, "adapters:\n  preset: attention_only\n  rules:\n"
                                    "    - {component: language, modules: all_linear, method: lora}\n");
  expect_error([&] { plan_adapters(load_placement(path), linear_sites(*loaded.model)); },
               {"language_model.layers.0.self_attn.q_proj is matched by two rules of the same specificity",
                "preset attention_only, rule 1", "rule 1 (", "adapters.yaml:4:7"});
}

TEST(Placement, LayersTheModelLacksAreAnError) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  const auto sites = linear_sites(*loaded.model);
  auto plan_for = [&](const std::string& rule) { return plan_adapters(load_placement(write_yaml(dir, "adapters:\n  - " + rule + "\n")), sites); };
  expect_error([&] { plan_for("{component: language, modules: mlp, layers: [0, 9]}"); },
               {"rule 1 (", "chooses layers [0,9]", "the language has no layer 9", "layers 0-1"});
  expect_error([&] { plan_for("{component: language, modules: mlp, layers: \"1-3\"}"); }, {"has no layers 2-3"});
  expect_error([&] { plan_for("{component: language, modules: mlp, layers: \"last:3\"}"); }, {"the language has only 2 layers"});
  expect_error([&] { plan_for("{component: projector, modules: all_linear, layers: [0]}"); }, {"the projector has no layers"});
  EXPECT_EQ(plan_for("{component: language, modules: mlp, layers: \"last:2\"}").size(), 6u);
}

TEST(Placement, BadKeysAndValuesPointAtTheLine) {
  TempDir dir;
  expect_error([&] { load_placement(write_yaml(dir, "adapters:\n  preset: attention_only\n  rnak: 4\n")); },
               {"adapters.yaml:3:3", "unknown key 'rnak'", "did you mean 'rank'"});
  expect_error([&] { load_placement(write_yaml(dir, "adapters: {preset: atention_only}\n")); },
               {"unknown preset 'atention_only'", "did you mean 'attention_only'"});
  expect_error([&] { load_placement(write_yaml(dir, "adapters:\n  preset: attention_only\n  embeddings: yes\n")); },
               {"adapters.yaml:3:", "'embeddings' is train or frozen, not 'yes'"});
  EXPECT_TRUE(load_placement(write_yaml(dir, "adapters: {preset: attention_only, embeddings: train}\n")).train_embeddings);
  EXPECT_FALSE(load_placement(write_yaml(dir, "adapters: {preset: attention_only}\n")).train_embeddings);
  expect_error([&] { load_placement(write_yaml(dir, "adapters:\n  - {component: language, modules: mlp, layers: \"1..3\"}\n")); },
               {"'layers' must be all", "1..3"});
  expect_error([&] { load_placement(write_yaml(dir, "adapters:\n  - {component: language, modules: mlp, method: qlora}\n")); },
               {"unknown adapter method 'qlora'", "dora"});
  expect_error([&] { load_placement(write_yaml(dir, "adapters:\n  - {component: projector, modules: attention}\n")); },
               {"the projector has no 'attention' modules"});
}

TEST(PeftFiles, UnsupportedFieldsAreNamed) {
  TempDir dir;
  auto loaded = multimodal::load_model(data_path(kBase));
  std::filesystem::copy_file(data_path("hf-tiny-llava-clip-llama/adapter/adapter_model.safetensors"),
                             dir.file("adapter_model.safetensors"));
  auto config = read_json_file(data_path("hf-tiny-llava-clip-llama/adapter/adapter_config.json"));
  config["fan_in_fan_out"] = true;
  write_file_atomically(dir.file("adapter_config.json"), config.dump());
  expect_error([&] { load_peft_adapter(dir.path().string(), *loaded.model, true); },
               {"adapter_config.json", "'fan_in_fan_out'", "does not support"});
  config["fan_in_fan_out"] = false;
  config["peft_type"] = "IA3";
  write_file_atomically(dir.file("adapter_config.json"), config.dump());
  expect_error([&] { load_peft_adapter(dir.path().string(), *loaded.model, true); }, {"'IA3' is not supported"});
}

TEST(PeftFiles, AdapterForAnotherModelIsRefused) {
  auto loaded = multimodal::load_model(data_path("hf-tiny-llama3-text/base"));
  expect_error([&] { load_peft_adapter(data_path("peft-lora-mixed/adapter"), *loaded.model, false); },
               {"does not fit the model", "model.vision_tower.encoder.layers.0.mlp.fc1", "different base model"});
}

}  // namespace
}  // namespace vltune
