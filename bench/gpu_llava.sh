#!/usr/bin/env bash
# The GPU issue's whole measurement in one call: builds vltune's LLaVA training benchmark against
# the machine's PyTorch (LibTorch 2.x + CUDA, media off, that one target only), then for each shape
# (SHAPES, default "tinyllama 7b": the TinyLlama-1.1B decoder and LLaVA-1.5-7B's Vicuna-7B one) runs
# PEFT's baseline (bench/peft_llava_baseline.py, a copy of ../shared/bench/, SHAPE=...) and vltune's
# bench (--shape ...) on the same GPU, and prints both sides per setting with the ratios and every
# goal of the GPU issue with met / NOT met (docs/performance.md).
# Usage (on the GPU machine, from the repository root, carry .deps): [SHAPES="7b"] [ONLY=lora-all,...]
#   bash bench/gpu_llava.sh [BUILD_DIR]
set -euo pipefail
source bench/gpu_bench_build.sh
build=${1:-build-bench}
gpu_build "$build" vltune_bench_gpu_llava
for shape in ${SHAPES:-tinyllama 7b}; do
  echo "== $shape: PEFT"
  SHAPE=$shape python3 bench/peft_llava_baseline.py | tee "$build/peft-llava-$shape.jsonl"
  echo "== $shape: vltune"
  "$build/bench/vltune_bench_gpu_llava" --shape "$shape" ${ONLY:+--only "$ONLY"} | tee "$build/vltune-llava-$shape.jsonl"
done
echo "== $(date -u +%F) bash bench/gpu_llava.sh, $(git rev-parse --short HEAD 2>/dev/null || echo tree)"
python3 bench/gpu_llava_report.py "$build" ${SHAPES:-tinyllama 7b}
