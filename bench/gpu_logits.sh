#!/usr/bin/env bash
# The fused, chunked head + loss (multimodal/lm_head_loss.h) beside the whole-logits path, in one call
# on the GPU machine: issue 18's Qwen comparison with PEFT (bench/gpu_qwen.sh, fused as training
# runs), then vltune's Qwen2.5-VL-3B bench (vocabulary 151936) and LLaVA bench (32064) with
# --logits whole, so each setting's peak memory and step time show both paths side by side.
# Usage (carry .deps): bash bench/gpu_logits.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build-bench}
bash bench/gpu_qwen.sh "$build"
source bench/gpu_bench_build.sh
gpu_build "$build" vltune_bench_gpu_llava
echo "== vltune Qwen2.5-VL-3B, whole logits"
"$build/bench/vltune_bench_gpu_qwen" --logits whole
for logits in fused whole; do
  echo "== vltune LLaVA, $logits logits"
  "$build/bench/vltune_bench_gpu_llava" --logits "$logits" --only lora-all,dora-all
done
