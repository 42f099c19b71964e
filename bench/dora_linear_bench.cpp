// DoRA at LoRA's cost, measured on one adapted linear layer (adapters issue, "efficient DoRA").
//
// Runs forward + backward of one linear (out x in, `tokens` rows, rank r) three ways, round-robin so
// machine noise hits all alike, and prints medians and ratios:
//   lora              vltune's LoRA
//   dora (factored)   vltune's DoRA: the weight norm from ‖W0‖² + 2s·B·(A W0ᵀ) + s²·B(AAᵀ)Bᵀ
//   dora (material.)  DoRA as PEFT computes it: forms W0 + s·B·A (out x in) for the norm
// and the peak extra memory (peak resident set above the state before the call, via VmHWM) of the
// whole step and of the norm computation alone.
//
// Usage: vltune_bench_dora [--out 2048] [--in 2048] [--tokens 2048] [--rank 16] [--reps 9]
#include <malloc.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "adapters/dora.h"
#include "adapters/lora.h"
#include "adapters/weight_norm.h"

using namespace vltune;
using namespace vltune::adapters;

namespace {

int64_t read_status_kb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  return -1;
}

// Peak resident memory added while `body` runs, in MiB (VmHWM reset through /proc/self/clear_refs).
double peak_extra_mib(const std::function<void()>& body) {
  std::ofstream("/proc/self/clear_refs") << "5";
  const int64_t before = read_status_kb("VmRSS");
  body();
  return static_cast<double>(read_status_kb("VmHWM") - before) / 1024.0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// DoRA as PEFT computes it (norm detached, dropout 0): the out x in matrix W0 + s·B·A is formed.
torch::Tensor dora_materialized(const torch::Tensor& x, const torch::Tensor& w0, const torch::Tensor& bias,
                                const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& m, double s) {
  namespace F = torch::nn::functional;
  torch::Tensor norm;
  {
    torch::NoGradGuard no_grad;
    norm = materialized_row_norm(w0, a, b, s);
  }
  auto g = m / norm;
  auto base = F::linear(x, w0);
  auto lora = F::linear(F::linear(x, a), b) * s;
  return base + bias + (g - 1) * base + g * lora;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, int64_t> opt = {{"--out", 2048}, {"--in", 2048}, {"--tokens", 2048}, {"--rank", 16}, {"--reps", 9}};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!opt.count(argv[i])) {
      std::cerr << "unknown option " << argv[i] << "\n";
      return 2;
    }
    opt[argv[i]] = std::stoll(argv[i + 1]);
  }
  // Large blocks come from mmap and go back to the system on free, so VmHWM sees each step alone.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  const int64_t out = opt["--out"], in = opt["--in"], tokens = opt["--tokens"], rank = opt["--rank"];
  torch::manual_seed(0);

  Linear base(LinearOptions{in, out, true, torch::kFloat32});
  {
    torch::NoGradGuard no_grad;
    base->weight.normal_(0, 0.02);
    base->bias.normal_(0, 0.02);
  }
  auto generator = at::detail::createCPUGenerator(1);
  AdapterSpec spec{Method::kLora, rank, 2.0 * rank};
  LoraAdapter lora(base, spec, generator);
  spec.method = Method::kDora;
  DoraAdapter dora(base, spec, generator);
  {
    torch::NoGradGuard no_grad;  // a trained-looking adapter: B != 0
    lora.lora_b.normal_(0, 0.01);
    dora.lora_b.copy_(lora.lora_b);
    dora.lora_a.copy_(lora.lora_a);
  }
  auto m = dora.magnitude.detach().clone().requires_grad_(true);
  auto x = torch::randn({tokens, in}).requires_grad_(true);
  auto probe = torch::randn({tokens, out});

  std::vector<std::pair<std::string, std::function<void()>>> variants = {
      {"lora", [&] { (lora.forward(x, base->weight, base->bias) * probe).sum().backward(); }},
      {"dora (factored)", [&] { (dora.forward(x, base->weight, base->bias) * probe).sum().backward(); }},
      {"dora (materialised)", [&] {
         (dora_materialized(x, base->weight, base->bias, dora.lora_a, dora.lora_b, m, spec.scaling()) * probe).sum().backward();
       }},
  };
  auto clear_grads = [&] {
    for (auto* t : {&x, &m, &lora.lora_a, &lora.lora_b, &dora.lora_a, &dora.lora_b, &dora.magnitude})
      if (t->grad().defined()) t->mutable_grad() = torch::Tensor();
  };

  std::map<std::string, std::vector<double>> times;
  std::map<std::string, double> peak;
  for (auto& [name, step] : variants) {  // warm-up, and the memory of one step
    clear_grads();
    step();
    clear_grads();
    peak[name] = peak_extra_mib(step);
  }
  for (int64_t rep = 0; rep < opt["--reps"]; ++rep)
    for (auto& [name, step] : variants) {
      clear_grads();
      const auto start = std::chrono::steady_clock::now();
      step();
      times[name].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }

  const auto base_sq = squared_row_norms(base->weight);
  torch::NoGradGuard no_grad;
  const double norm_factored = peak_extra_mib([&] { factored_row_norm(base->weight, base_sq, dora.lora_a, dora.lora_b, 2.0); });
  const double norm_materialised = peak_extra_mib([&] { materialized_row_norm(base->weight, dora.lora_a, dora.lora_b, 2.0); });

  std::printf("one adapted linear: out %ld, in %ld, tokens %ld, rank %ld, %d threads, %ld reps (median)\n", out, in,
              tokens, rank, torch::get_num_threads(), opt["--reps"]);
  std::printf("%-22s %12s %10s %16s\n", "variant", "fwd+bwd ms", "vs lora", "peak extra MiB");
  const double lora_ms = median(times["lora"]);
  for (auto& [name, step] : variants)
    std::printf("%-22s %12.1f %10.3f %16.1f\n", name.c_str(), median(times[name]), median(times[name]) / lora_ms, peak[name]);
  std::printf("weight norm alone: factored %.2f MiB, materialised %.2f MiB, ratio %.4f\n", norm_factored,
              norm_materialised, norm_factored / std::max(norm_materialised, 1e-9));
  std::printf("dora (factored) step time / lora: %.3f (goal <= 1.15)\n", median(times["dora (factored)"]) / lora_ms);
  return 0;
}
