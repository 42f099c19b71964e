// What the GPU training benches (bench/gpu_llava_bench.cpp, bench/gpu_qwen_bench.cpp) share: their
// options, the model from a config.json text with frozen random weights, the decoder's counted FLOPs,
// and the timed run of each setting, printed as one JSON line beside PEFT's script's.
//
// A setting is adapters placed by one adapters/placement.h rule on the decoder (or full fine-tuning
// of its linears), trained by FlatAdamW (lr 1e-4, weight decay 0.01, torch's AdamW defaults). One
// step is what users run: refresh DoRA's scales, VisionLanguageModel::forward, backward, AdamW,
// zero gradients. As in PEFT's scripts, each of `steps` steps is timed between device
// synchronisations, the first `warmup` are left out and the median is reported; the peak is the most
// memory held by tensors since the setting began (the frozen model is resident throughout). Three
// more steps, synchronised after each phase, give the forward / backward / optimizer medians.
//
// JSON fields: kind, shape, targets, batch, seq, trainable, step_ms_median, step_ms_min, peak_gib
// (PEFT's fields), model_tflop, mfu (against 989 TFLOP/s, H200 dense bf16), forward_ms,
// backward_ms, optimizer_ms; a setting that throws (out of memory) prints kind, targets and error.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapters/placement.h"
#include "multimodal/llava.h"
#include "multimodal/model_config.h"

namespace vltune::bench {

constexpr double kPeakTflops = 989.0;  // H200 dense bf16

struct BenchOptions {
  int64_t batch = 4, steps = 13, warmup = 3;
  std::string only;  // comma-separated setting names; empty = all
  // "fused": the loss as training computes it (multimodal/lm_head_loss.h, logits never whole);
  // "whole": lm_head over every position, then the fp32 cross-entropy (the path before it).
  std::string logits = "fused";
  // Where set, PATH-<setting>.json gets a Kineto trace of 3 more steps (bench/gpu_trace.h).
  std::string profile;
  // The model's shape, one of the names the bench offers (parse_bench_options' `shapes`).
  std::string shape;
};

// --batch, --steps, --warmup, --only, --logits fused|whole, --profile PATH, --shape NAME (one of
// `shapes`, the first the default). On a bad option prints why (naming `program`) and returns
// nullopt: the program exits with status 2.
std::optional<BenchOptions> parse_bench_options(int argc, char** argv, const std::string& program,
                                                const std::vector<std::string>& shapes);

// False, after saying so, when LibTorch sees no CUDA device. The benches read their config first,
// so that a CPU build checks it.
bool require_cuda(const std::string& program);

// bench/peft_llava_baseline.py's LlavaConfig as the config.json transformers would write for it: a
// CLIP ViT-L/14-336 tower, a 2-layer GELU projector and the decoder of `shape`: "tinyllama"
// (TinyLlama-1.1B), "7b" (Vicuna-7B, LLaVA-1.5-7B's: the script's SHAPE=7b) or "tiny" (a small tower
// and decoder, for the CPU); vocab 32064. nullopt for another name.
std::optional<std::string> llava_config_json(const std::string& shape, int64_t max_position_embeddings);

// `config_json` written as TMP/<folder>/config.json and read back as vltune reads a model folder.
multimodal::ModelConfig write_and_read_config(const std::string& config_json, const std::string& folder);

// Frozen random weights drawn in place: N(0, 0.02²) matrices, zero biases, unit norms.
void init_frozen(torch::nn::Module& model);

double median(std::vector<double> values);

// The decoder's share of one training step's counted FLOPs, in TFLOP: 2·rows·in·out for every
// matmul forward (attention 4·B·heads·L²·head_dim, both products over the whole L×L though the
// causal kernel skips half), the same again backward for the input gradients (attention twice),
// the lm_head both ways, and the weight gradients of what trains (full: every adapted linear;
// LoRA/DoRA: the adapters' own A and B products, 2·rows·r·(in + out) each way).
double decoder_step_tflop(const language::DecoderConfig& text, int64_t batch, int64_t seq,
                          const std::vector<adapters::PlannedAdapter>& plan, const std::string& kind);

struct Setting {
  std::string name;     // lora-all, ...
  std::string kind;     // lora | dora | full (PEFT's "kind")
  std::string modules;  // all_linear | attention
};

struct BenchRun {
  std::string shape;  // the JSON "shape", as PEFT's script names the model
  int64_t seq = 0;    // tokens per row
  // The step's counted FLOPs in TFLOP, for a setting's adapters and kind.
  std::function<double(const std::vector<adapters::PlannedAdapter>&, const std::string&)> tflop;
};

// Every setting of `settings` that options.only selects, on `model` (on the GPU, frozen), one JSON
// line each on stdout.
void run_settings(multimodal::VisionLanguageModel& model, const multimodal::ForwardInputs& inputs,
                  const std::vector<Setting>& settings, const BenchOptions& options, const BenchRun& run);

}  // namespace vltune::bench
