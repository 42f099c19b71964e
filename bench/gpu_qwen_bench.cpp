// Training steps on a Qwen2.5-VL-3B-shaped model on one GPU, to set beside PEFT's (issue 18).
//
// The workload of bench/peft_qwen25vl_baseline.py (a copy of ../shared/bench/): Qwen2.5-VL-3B's
// vision tower (32 blocks of width 1280, windows of 112 px, full attention in blocks 7/15/23/31,
// SwiGLU) and merger, and its decoder (36 layers, hidden 2048, 16 heads, 2 kv heads, M-RoPE,
// tied embeddings, vocabulary 151936), random init, bf16 and frozen. Batch 4 rows, each one
// 448x448 image (grid 1x32x32: 1024 patches, 256 merged tokens) between vision start/end and 512
// text tokens: 770 tokens. LoRA and DoRA, r 16, alpha 32, dropout 0, on the decoder's
// q/k/v/o/gate/up/down; AdamW lr 1e-4. bench/gpu_bench_support.h runs and times the settings
// (PEFT's median of 13 steps after 3 warm-up, the peak since each setting began) and prints the
// JSON lines.
//
// One step is what users run: VisionLanguageModel::forward (M-RoPE position ids from the ids and
// grids on the host; the tower with no graph since nothing in it trains; token embeddings with the
// image tokens replaced; the decoder with fused causal attention and no mask, as the PEFT script's
// all-ones mask; logits; fp32 cross-entropy), then backward, AdamW, zero gradients. The ids and
// labels stay in pinned host memory.
//
// Model FLOPs per step are counted, not measured: the decoder's as bench/gpu_bench_support.h counts
// them, and the tower forward only: the patch embedding, 2·patches·(4·width² + 3·width·mlp) per
// block, attention 4·len²·width per attended sequence (a window of 64 patches, or a whole image of
// 1024 in the full-attention blocks), the merger. MFU divides by the step time and 989 TFLOP/s.
//
// Usage: vltune_bench_gpu_qwen [--batch 4] [--steps 13] [--warmup 3] [--only lora-all,dora-all]
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/gpu_bench_support.h"
#include "vision/qwen_vision_grid.h"

using namespace vltune;

namespace {

constexpr int64_t kImageToken = 151655, kVisionStart = 151652, kVisionEnd = 151653;
constexpr int64_t kTextTokens = 512, kGridSide = 32;

// The PEFT script's Qwen2_5_VLConfig, as the config.json transformers would write for it.
const char* kConfigJson = R"({
  "model_type": "qwen2_5_vl", "torch_dtype": "bfloat16", "tie_word_embeddings": true,
  "image_token_id": 151655, "video_token_id": 151656, "vision_start_token_id": 151652, "vision_end_token_id": 151653,
  "vision_config": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "patch_size": 14,
                    "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 112, "out_hidden_size": 2048,
                    "fullatt_block_indexes": [7, 15, 23, 31], "hidden_act": "silu", "tokens_per_second": 2},
  "text_config": {"model_type": "qwen2_5_vl_text", "vocab_size": 151936, "hidden_size": 2048,
                  "intermediate_size": 11008, "num_hidden_layers": 36, "num_attention_heads": 16,
                  "num_key_value_heads": 2, "max_position_embeddings": 32768, "rms_norm_eps": 1e-6,
                  "tie_word_embeddings": true,
                  "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]}}
})";

const std::vector<bench::Setting> kSettings = {{"lora-all", "lora", "all_linear"}, {"dora-all", "dora", "all_linear"}};

// The tower's and merger's forward FLOPs for `grids`, in TFLOP (see the top of the file).
double vision_tflop(const vision::QwenVisionConfig& v, const std::vector<vision::PatchGrid>& grids) {
  double patches = 0;
  for (const auto& g : grids) patches += static_cast<double>(g.patches());
  const double width = static_cast<double>(v.hidden_size), mlp = static_cast<double>(v.intermediate_size);
  auto attention = [&](const std::vector<int64_t>& lengths) {
    double sum = 0;
    for (const int64_t n : lengths) sum += 4.0 * static_cast<double>(n) * static_cast<double>(n) * width;
    return sum;
  };
  const double full = attention(vision::frame_lengths(grids));
  const double windowed = attention(vision::window_order(grids, v.spatial_merge_size, v.window_units()).window_lengths);
  double blocks = 0;
  for (int64_t b = 0; b < v.depth; ++b)
    blocks += 2 * patches * (4 * width * width + (v.arch.gated_mlp ? 3 : 2) * width * mlp) +
              (v.full_attention(b) ? full : windowed);
  const double merged_width = width * static_cast<double>(v.merge_unit());
  const double merger = 2 * (patches / static_cast<double>(v.merge_unit())) *
                        (merged_width * merged_width + merged_width * static_cast<double>(v.out_hidden_size));
  return (2 * patches * static_cast<double>(v.patch_values()) * width + blocks + merger) / 1e12;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = bench::parse_bench_options(argc, argv, "vltune_bench_gpu_qwen", {"3b"});
  if (!options) return 2;
  const auto config = bench::write_and_read_config(kConfigJson, "vltune-gpu-qwen-bench");
  const auto& v = *config.qwen_vision;
  const int64_t batch = options->batch;
  const std::vector<vision::PatchGrid> grids(batch, {1, kGridSide, kGridSide});
  const double tower = vision_tflop(v, grids);
  std::fprintf(stderr, "qwen2.5-vl-3b: batch %ld, the tower's forward %.3f TFLOP a step\n", static_cast<long>(batch),
               tower);
  if (!bench::require_cuda("vltune_bench_gpu_qwen")) return 2;
  const torch::Device device(torch::kCUDA, 0);
  torch::manual_seed(0);

  multimodal::VisionLanguageModel model(config, torch::kBFloat16, /*with_lm_head=*/!config.tie_word_embeddings);
  model->to(device);
  bench::init_frozen(*model);

  // Inputs as the PEFT script builds them: a text token, vision start, the image tokens, vision end,
  // the other text tokens; labels -100 on the vision tokens.
  const int64_t image_tokens = kGridSide * kGridSide / v.merge_unit();
  auto text = torch::randint(0, 150000, {batch, kTextTokens}, torch::kInt64);
  auto input_ids = torch::cat({text.narrow(1, 0, 1), torch::full({batch, 1}, kVisionStart, text.options()),
                               torch::full({batch, image_tokens}, kImageToken, text.options()),
                               torch::full({batch, 1}, kVisionEnd, text.options()), text.narrow(1, 1, kTextTokens - 1)},
                              1);
  const int64_t seq = input_ids.size(1);
  multimodal::ForwardInputs inputs;
  inputs.input_ids = input_ids.pin_memory();
  inputs.labels = input_ids.masked_fill(input_ids >= kVisionStart, -100).pin_memory();
  inputs.image_grid_thw = torch::tensor({int64_t{1}, kGridSide, kGridSide}, torch::kInt64).repeat({batch, 1});
  inputs.pixel_values = torch::randn({batch * kGridSide * kGridSide, v.patch_values()},
                                     torch::TensorOptions().dtype(torch::kBFloat16).device(device));

  bench::BenchRun run{"qwen2.5-vl-3b", seq, [&](const auto& plan, const std::string& kind) {
                        return tower + bench::decoder_step_tflop(config.text, batch, seq, plan, kind);
                      }};
  bench::run_settings(model, inputs, kSettings, *options, run);
  return 0;
}
