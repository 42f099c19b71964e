#!/usr/bin/env bash
# docs/results.md's runs on the GPU machine (no OpenCV or FFmpeg there), one device call at a time:
# builds vltune against the machine's PyTorch (media off; kept between calls while the machine is
# warm), unpacks BUNDLE (the data and the prepared media caches, made here), runs the compare files
# through tools/compare_pool.sh until LIMIT seconds are nearly spent, and packs the run folders
# (no checkpoints: the ΔM/ΔD analysis ran here first) and docs/results/ into OUT/results.tar.gz.
# Calling it again continues: finished runs are reused.
#
# BUNDLE, made on a machine with media support (repository root):
#   vltune prepare recipes/image-vqa.yaml --model models/tiny-vlm --out gpu-carry/fm-cache --num-frames 4
#   vltune prepare recipes/video-qa.yaml --model models/tiny-vlm --out gpu-carry/video-cache --num-frames 4
#   tar czf gpu-bundle/bundle.tar.gz data/fashion-mnist/{vqa,caption}_*.json data/fashion-mnist/images \
#       data/synthetic-video gpu-carry/fm-cache gpu-carry/video-cache
# Usage (GPU machine, repository root): [PREVIOUS=results.tar.gz] LIMIT=600 bash tools/gpu_results.sh BUNDLE OUT FILE@DEVICE[@SETTINGS]...
set -uo pipefail
bundle=$1 out=$2
shift 2
limit=${LIMIT:-600}
start=$(date +%s)
build=build-cuda
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTUNE_WITH_MEDIA=OFF -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" > "$out/configure.log" 2>&1 || { tail -20 "$out/configure.log"; exit 1; }
cmake --build "$build" --target vltune vltune-sentencepiece --parallel "$(nproc)" > "$out/build.log" 2>&1 ||
  { grep -E -A8 "error|FAILED" "$out/build.log" | head -60; exit 1; }
echo "== built in $(($(date +%s) - start)) s"
[ -d gpu-carry/video-cache ] || tar xzf "$bundle"
# A fresh machine continues from the runs an earlier call brought back (PREVIOUS: its results.tar.gz).
[ -d runs/results ] || [ -z "${PREVIOUS:-}" ] || tar xzf "$PREVIOUS"
left=$((limit - ($(date +%s) - start)))
# No shard starts in the last 240 s (a shard of three runs takes about two minutes); 30 s kept for packing.
DEADLINE=$((left - 240)) VLTUNE=$build/cli/vltune timeout $((left - 30)) bash tools/compare_pool.sh "$@"
# docs/results/<study>/ holds what the repository commits (tools/results_finish.sh wrote it).
tar czf "$out/results.tar.gz" --exclude=checkpoints --exclude='events.out.tfevents.*' runs/results runs/pool-logs docs/results
echo "== $(($(date +%s) - start)) s in all"
