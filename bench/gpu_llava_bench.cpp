// Training steps on a LLaVA-1.5-shaped model on one GPU, to set beside PEFT's (GPU issue).
//
// The workload of bench/peft_llava_baseline.py (a copy of ../shared/bench/): a CLIP ViT-L/14-336
// tower, a 2-layer MLP projector and a TinyLlama-1.1B-shaped decoder, random init, bf16 and frozen;
// batch 4 x (576 image + 512 text) tokens; AdamW lr 1e-4, weight decay 0.01 (torch's default).
// Settings: LoRA and DoRA (r 16, alpha 32, dropout 0) on all decoder linears or on attention only,
// and full fine-tuning of the decoder's linears, each placed by adapters/placement.h rules and
// trained in FlatAdamW's fp32 arena (fused kernel on CUDA).
//
// One step is what users run: VisionLanguageModel::forward (image features, with no graph since
// nothing in the tower trains -> token embeddings with the image tokens replaced -> decoder with
// the fused causal attention, no mask -> final norm -> logits -> fp32 cross-entropy), then
// backward -> AdamW -> zero gradients. The ids and labels stay in pinned host memory, where the
// model checks the ids, so the step never waits for the device. As in PEFT's script, each of 13
// steps is timed between device synchronisations, the first 3 are warm-up, and the median is
// reported; the peak is the most memory held by tensors since the setting began (reset before its
// adapters are built; the frozen model is resident throughout, as the script's model is).
//
// Model FLOPs per step are counted, not measured: 2·rows·in·out for every matmul the model
// defines, forward; backward, the input gradients of the decoder and lm_head matmuls (same
// count), and the weight gradients of what trains (full: every adapted linear; LoRA/DoRA: the
// adapters' own A and B products, 2·rows·r·(in + out) each way); attention 4·B·heads·L²·head_dim
// forward (both products over the whole L×L, as usual, though the causal kernel skips half) and
// twice that backward; the vision tower (the 23 layers its feature layer -2 needs) and the
// projector forward only. MFU divides by the step time and 989 TFLOP/s (H200 dense bf16).
//
// Usage: vltune_bench_gpu_llava [--batch 4] [--steps 13] [--warmup 3] [--only lora-all,...]
// Prints one JSON line per setting: kind, targets, batch, seq, trainable, step_ms_median,
// step_ms_min, peak_gib (PEFT's fields), then model_tflop, mfu, and the medians of forward_ms,
// backward_ms and optimizer_ms over 3 further steps synchronised after each phase; then, on stderr,
// DoRA's backward-only kernels timed alone (time_dora_backward_parts).
#include <torch/cuda.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/adapter_set.h"
#include "adapters/placement.h"
#include "core/torch_compat.h"
#include "multimodal/llava.h"
#include "multimodal/model_config.h"
#include "training/flat_adamw.h"

using namespace vltune;

namespace {

constexpr double kPeakTflops = 989.0;  // H200 dense bf16
constexpr int64_t kImageToken = 32000;
constexpr int64_t kTextTokens = 512;

// The PEFT script's LlavaConfig, as the config.json transformers would write for it.
const char* kConfigJson = R"({
  "model_type": "llava", "torch_dtype": "bfloat16", "image_token_index": 32000,
  "vision_feature_layer": -2, "vision_feature_select_strategy": "default", "projector_hidden_act": "gelu",
  "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "intermediate_size": 4096,
                    "num_hidden_layers": 24, "num_attention_heads": 16, "image_size": 336, "patch_size": 14,
                    "projection_dim": 768},
  "text_config": {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 22,
                  "num_attention_heads": 32, "num_key_value_heads": 4, "vocab_size": 32064,
                  "max_position_embeddings": 4096}
})";

struct Setting {
  std::string name;     // lora-all, ...
  std::string kind;     // lora | dora | full (PEFT's "kind")
  std::string modules;  // all_linear | attention
};

const std::vector<Setting> kSettings = {{"lora-all", "lora", "all_linear"},
                                        {"dora-all", "dora", "all_linear"},
                                        {"lora-attn", "lora", "attention"},
                                        {"dora-attn", "dora", "attention"},
                                        {"full", "full", "all_linear"}};

multimodal::ModelConfig write_and_read_config() {
  const auto dir = std::filesystem::temp_directory_path() / "vltune-gpu-llava-bench";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << kConfigJson;
  return multimodal::read_model_config(dir.string());
}

// Frozen random weights drawn on the device: N(0, 0.02²) matrices, zero biases, unit norms.
void init_frozen(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) {
    auto& p = item.value();
    const auto& name = item.key();
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) p.zero_();
    else if (p.dim() == 1) p.fill_(1.0);
    else p.normal_(0.0, 0.02);
    p.set_requires_grad(false);
  }
}

// The counted FLOPs of one training step (see the top of the file), in TFLOP.
double step_tflop(const multimodal::ModelConfig& c, int64_t batch, int64_t seq,
                  const std::vector<adapters::PlannedAdapter>& plan, const std::string& kind) {
  const auto& t = c.text;
  const auto& v = *c.vision;
  const double rows = static_cast<double>(batch * seq);
  const double kv = static_cast<double>(t.num_kv_heads * t.head_dim), h = static_cast<double>(t.hidden_size);
  const double mlp = static_cast<double>(t.intermediate_size);
  const double layer_matmuls = 2 * rows * (2 * h * h + 2 * h * kv + 3 * h * mlp);
  const double layer_attention = 4.0 * batch * t.num_heads * double(seq) * seq * t.head_dim;
  const double lm_head = 2 * rows * h * static_cast<double>(t.vocab_size);
  const double decoder = t.num_layers * (layer_matmuls + layer_attention) + lm_head;

  const double patches = static_cast<double>(batch * v.num_patches());
  const double per_image = static_cast<double>(v.num_positions()), tokens = batch * per_image;
  const double vh = static_cast<double>(v.hidden_size), vi = static_cast<double>(v.intermediate_size);
  const double vision_layers = static_cast<double>(v.num_layers - 1);  // feature layer -2
  const double vision = 2 * patches * 3 * v.patch_size * v.patch_size * vh +
                        vision_layers * (2 * tokens * (4 * vh * vh + 2 * vh * vi) + 4 * batch * per_image * per_image * vh);
  const double projector = 2 * patches * (vh * h + h * h);

  double trained = 0;  // weight-gradient FLOPs (full) or the adapters' own products (LoRA/DoRA)
  for (const auto& p : plan) {
    const double in = static_cast<double>(p.site.linear->in_features()), out = static_cast<double>(p.site.linear->out_features());
    trained += kind == "full" ? 2 * rows * in * out : 3 * 2 * rows * p.spec.rank * (in + out);
  }
  const double backward_inputs = t.num_layers * (layer_matmuls + 2 * layer_attention) + lm_head;
  return (vision + projector + decoder + backward_inputs + trained) / 1e12;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// DoRA's backward costs +47 ms over LoRA's with the MLPs adapted and nothing with attention only
// (docs/performance.md, "still in the way"): the node's DoRA-only kernels timed alone at each output
// width of the decoder's linears, beside a cheaper form of the column sum and the input-gradient GEMM
// every adapted linear runs anyway. Medians of 20; printed to stderr, apart from the JSON lines.
void time_dora_backward_parts(const language::DecoderConfig& text, int64_t rows, const torch::Device& device) {
  const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16).device(device);
  auto time = [](const std::function<torch::Tensor()>& run) {
    std::vector<double> ms;
    for (int i = 0; i < 23; ++i) {
      torch::cuda::synchronize();
      const auto start = std::chrono::steady_clock::now();
      run();
      torch::cuda::synchronize();
      if (i >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    return median(ms);
  };
  for (const int64_t out : {text.intermediate_size, text.hidden_size, text.num_kv_heads * text.head_dim}) {
    const auto dy = torch::randn({rows, out}, bf16), y = torch::randn({rows, out}, bf16);
    const auto g = torch::rand({out}, bf16), weight = torch::randn({out, text.hidden_size}, bf16), ones = torch::ones({1, rows}, bf16);
    const double scale_ms = time([&] { return dy * g; });
    const double column_sum_ms = time([&] { return (dy * y).sum({0}, /*keepdim=*/false, torch::kFloat32); });
    const double ones_gemm_ms = time([&] { return torch::mm(ones, dy * y); });
    const double input_grad_ms = time([&] { return torch::mm(dy, weight); });
    std::fprintf(stderr, "dora backward parts [%ld x %ld]: dy*g %.3f ms, (dy*y).sum(0) in fp32 %.3f ms, "
                 "ones x (dy*y) %.3f ms, mm(dy, W0) %.3f ms\n", static_cast<long>(rows), static_cast<long>(out),
                 scale_ms, column_sum_ms, ones_gemm_ms, input_grad_ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt = {{"--batch", "4"}, {"--steps", "13"}, {"--warmup", "3"}, {"--only", ""}};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!opt.count(argv[i])) {
      std::cerr << "unknown option " << argv[i] << " (expected --batch, --steps, --warmup, --only)\n";
      return 2;
    }
    opt[argv[i]] = argv[i + 1];
  }
  if (!torch::cuda::is_available()) {
    std::cerr << "vltune_bench_gpu_llava needs a CUDA device (this LibTorch sees none)\n";
    return 2;
  }
  const int64_t batch = std::stoll(opt["--batch"]), steps = std::stoll(opt["--steps"]), warmup = std::stoll(opt["--warmup"]);
  if (batch < 1 || warmup < 0 || steps <= warmup) {
    std::cerr << "--batch must be >= 1 and --steps > --warmup >= 0\n";
    return 2;
  }
  const torch::Device device(torch::kCUDA, 0);
  torch::manual_seed(0);

  const auto config = write_and_read_config();
  multimodal::VisionLanguageModel model(config, torch::kBFloat16, /*with_lm_head=*/true);
  model->to(device);
  init_frozen(*model);

  // Inputs as the PEFT script builds them: one text token, the image tokens, the other text tokens.
  const int64_t image_tokens = config.tokens_per_image();
  auto text = torch::randint(0, kImageToken, {batch, kTextTokens}, torch::kInt64);
  auto input_ids = torch::cat({text.narrow(1, 0, 1), torch::full({batch, image_tokens}, kImageToken, text.options()),
                               text.narrow(1, 1, kTextTokens - 1)}, 1);
  const int64_t seq = input_ids.size(1);
  multimodal::ForwardInputs inputs;
  inputs.input_ids = input_ids.pin_memory();
  inputs.labels = input_ids.masked_fill(input_ids == kImageToken, -100).pin_memory();
  inputs.pixel_values = torch::randn({batch, 3, config.vision->image_size, config.vision->image_size},
                                     torch::TensorOptions().dtype(torch::kBFloat16).device(device));

  const auto sites = adapters::linear_sites(*model);
  for (const auto& setting : kSettings) {
    if (!opt["--only"].empty() && ("," + opt["--only"] + ",").find("," + setting.name + ",") == std::string::npos) continue;
    compat::reset_peak_device_allocated_bytes(device);
    std::ostringstream rules;
    rules << "[{component: language, modules: " << setting.modules << ", method: " << setting.kind
          << ", rank: 16, alpha: 32, dropout: 0}]";
    const auto placement = adapters::parse_placement(YAML::Load(rules.str()), "gpu_llava_bench");
    const auto plan = adapters::plan_adapters(placement, sites);
    auto set = adapters::build_adapter_set(setting.name, plan, /*seed=*/0);
    set->attach();
    set->train(true);
    const double lr = 1e-4, weight_decay = 0.01;
    training::FlatAdamW optimizer(set->named_parameters(), {lr, 0.9, 0.999, 1e-8, weight_decay},
                                  [&](const std::string&) { return training::ParamGroupOptions{1.0, weight_decay}; });

    // As the trainer does: DoRA's scales for the step's parameters, all adapters at once.
    auto loss_of_step = [&] {
      set->refresh_scales();
      return model->forward(inputs).loss;
    };
    std::vector<double> times;
    for (int64_t i = 0; i < steps; ++i) {
      torch::cuda::synchronize();
      const auto start = std::chrono::steady_clock::now();
      loss_of_step().backward();
      optimizer.step(lr);
      optimizer.zero_grad();
      torch::cuda::synchronize();
      if (i >= warmup) times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    // Where the time goes: 3 more steps with a synchronisation after each phase.
    std::map<std::string, std::vector<double>> phases;
    for (int i = 0; i < 3; ++i) {
      auto mark = std::chrono::steady_clock::now();
      auto lap = [&](const std::string& phase) {
        torch::cuda::synchronize();
        const auto now = std::chrono::steady_clock::now();
        phases[phase].push_back(std::chrono::duration<double, std::milli>(now - mark).count());
        mark = now;
      };
      torch::cuda::synchronize();
      mark = std::chrono::steady_clock::now();
      auto loss = loss_of_step();
      lap("forward");
      loss.backward();
      lap("backward");
      optimizer.step(lr);
      optimizer.zero_grad();
      lap("optimizer");
    }
    const double step_ms = median(times);
    const double peak_gib = static_cast<double>(compat::peak_device_allocated_bytes(device).value_or(-1)) / (1 << 30);
    const double tflop = step_tflop(config, batch, seq, plan, setting.kind);
    std::printf("{\"kind\": \"%s\", \"targets\": \"%s\", \"batch\": %ld, \"seq\": %ld, \"trainable\": %ld, "
                "\"step_ms_median\": %.2f, \"step_ms_min\": %.2f, \"peak_gib\": %.3f, \"model_tflop\": %.3f, \"mfu\": %.4f, "
                "\"forward_ms\": %.2f, \"backward_ms\": %.2f, \"optimizer_ms\": %.2f}\n",
                setting.kind.c_str(), setting.modules.c_str(), batch, seq, set->num_trainable(), step_ms,
                *std::min_element(times.begin(), times.end()), peak_gib, tflop, tflop / (step_ms / 1000.0) / kPeakTflops,
                median(phases["forward"]), median(phases["backward"]), median(phases["optimizer"]));
    std::fflush(stdout);
    set->detach();
  }
  time_dora_backward_parts(config.text, batch * seq, device);
  return 0;
}
