// Training steps on a LLaVA-1.5-shaped model on one GPU, to set beside PEFT's (GPU issue).
//
// The workload of bench/peft_llava_baseline.py (a copy of ../shared/bench/): a CLIP ViT-L/14-336
// tower, a 2-layer MLP projector and a TinyLlama-1.1B-shaped decoder (--shape 7b: Vicuna-7B's, as
// LLaVA-1.5-7B has), random init, bf16 and frozen;
// batch 4 x (576 image + 512 text) tokens; AdamW lr 1e-4, weight decay 0.01 (torch's default).
// Settings: LoRA and DoRA (r 16, alpha 32, dropout 0) on all decoder linears or on attention only,
// and full fine-tuning of the decoder's linears; bench/gpu_bench_support.h runs and times them
// (placement rules, FlatAdamW's fp32 arena with its fused kernel on CUDA, PEFT's median of 13 steps
// after 3 warm-up, the peak since each setting began) and prints the JSON lines.
//
// One step is what users run: VisionLanguageModel::forward (image features, with no graph since
// nothing in the tower trains -> token embeddings with the image tokens replaced -> decoder with
// the fused causal attention, no mask -> final norm -> logits -> fp32 cross-entropy), then
// backward -> AdamW -> zero gradients. The ids and labels stay in pinned host memory, where the
// model checks the ids, so the step never waits for the device.
//
// Model FLOPs per step are counted, not measured: the decoder's as bench/gpu_bench_support.h
// counts them; the vision tower (the 23 layers its feature layer -2 needs) and the projector
// forward only. MFU divides by the step time and 989 TFLOP/s (H200 dense bf16).
//
// Usage: vltune_bench_gpu_llava [--shape tinyllama|7b] [--batch 4] [--steps 13] [--warmup 3] [--only lora-all,...]
// Prints one JSON line per setting (bench/gpu_bench_support.h lists the fields); then, on stderr,
// DoRA's backward-only kernels timed alone (time_dora_backward_parts).
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench/gpu_bench_support.h"

using namespace vltune;

namespace {

constexpr int64_t kImageToken = 32000;
constexpr int64_t kTextTokens = 512;

const std::vector<bench::Setting> kSettings = {{"lora-all", "lora", "all_linear"},
                                               {"dora-all", "dora", "all_linear"},
                                               {"lora-attn", "lora", "attention"},
                                               {"dora-attn", "dora", "attention"},
                                               {"full", "full", "all_linear"}};

// The counted FLOPs of one training step (see the top of the file), in TFLOP.
double step_tflop(const multimodal::ModelConfig& c, int64_t batch, int64_t seq,
                  const std::vector<adapters::PlannedAdapter>& plan, const std::string& kind) {
  const auto& v = *c.vision;
  const double h = static_cast<double>(c.text.hidden_size);
  const double patches = static_cast<double>(batch * v.num_patches());
  const double per_image = static_cast<double>(v.num_positions()), tokens = batch * per_image;
  const double vh = static_cast<double>(v.hidden_size), vi = static_cast<double>(v.intermediate_size);
  const double vision_layers = static_cast<double>(v.num_layers - 1);  // feature layer -2
  const double vision = 2 * patches * 3 * v.patch_size * v.patch_size * vh +
                        vision_layers * (2 * tokens * (4 * vh * vh + 2 * vh * vi) + 4 * batch * per_image * per_image * vh);
  const double projector = 2 * patches * (vh * h + h * h);
  return (vision + projector) / 1e12 + bench::decoder_step_tflop(c.text, batch, seq, plan, kind);
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
    return bench::median(ms);
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
  const auto options = bench::parse_bench_options(argc, argv, "vltune_bench_gpu_llava", {"tinyllama", "7b"});
  if (!options) return 2;
  const auto config = bench::write_and_read_config(*bench::llava_config_json(options->shape, 4096), "vltune-gpu-llava-bench");
  if (!bench::require_cuda("vltune_bench_gpu_llava")) return 2;
  const int64_t batch = options->batch;
  const torch::Device device(torch::kCUDA, 0);
  torch::manual_seed(0);

  multimodal::VisionLanguageModel model(config, torch::kBFloat16, /*with_lm_head=*/true);
  model->to(device);
  bench::init_frozen(*model);

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

  bench::BenchRun run{"llava-1.5-clip336-" + options->shape, seq, [&](const auto& plan, const std::string& kind) {
                        return step_tflop(config, batch, seq, plan, kind);
                      }};
  bench::run_settings(model, inputs, kSettings, *options, run);
  time_dora_backward_parts(config.text, batch * seq, device);
  return 0;
}
