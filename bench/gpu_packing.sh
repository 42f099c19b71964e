#!/usr/bin/env bash
# Packed batches against padded ones (issue 15, "Packed batches") in one call on the GPU machine:
# builds vltune's packing bench (bench/gpu_packing_bench.cpp) against the machine's PyTorch and
# runs it at both decoder shapes, LoRA all-linear, the same samples per step drawn from the shipped
# image-VQA and video-QA data's lengths; each shape prints a padded line, a packed line and the
# packed / padded tokens/s ratio against the goal (>= 1.5).
# Usage (carry .deps): bash bench/gpu_packing.sh [BUILD_DIR] [extra bench options, e.g. --samples 8]
set -euo pipefail
build=${1:-build-bench}
shift || true
source bench/gpu_bench_build.sh
gpu_build "$build" vltune_bench_gpu_packing
for shape in tinyllama 7b; do
  echo "== vltune packed vs padded, $shape"
  "$build/bench/vltune_bench_gpu_packing" --shape "$shape" "$@" | tee "$build/packing-$shape.jsonl"
done
