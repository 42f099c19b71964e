#!/usr/bin/env bash
# Builds vltune against the machine's PyTorch (LibTorch 2.x + CUDA), media off, and runs the test
# suite twice: on the CPU, then the model-parity suite on the GPU (VLTUNE_TEST_DEVICE=cuda, 1e-3).
# Usage (on the GPU machine, from the repository root): bash tools/gpu_check.sh [BUILD_DIR]
set -euo pipefail
# RE2, PCRE2 and ICU, carried as .deps (tools/gpu_deps.sh): the GPU machine has none of them.
if [ -d .deps ]; then eval "$(bash tools/gpu_deps.sh install)"; fi
build=${1:-build-cuda}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
echo "== torch $(python3 -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))')"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTUNE_WITH_MEDIA=OFF \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" 2>&1 | grep -E "vltune|Torch|Error|error" || true
time cmake --build "$build" --parallel "$(nproc)" --target all benchmarks
echo "== CPU: all tests but slow"
ctest --test-dir "$build" --label-exclude slow --output-on-failure --parallel 8
echo "== CUDA: model parity"
VLTUNE_TEST_DEVICE=cuda ctest --test-dir "$build" --label-regex model --output-on-failure
echo "== CUDA: vltune forward"
"$build"/cli/vltune forward --model tests/data/hf-tiny-llava-clip-llama/base \
  --inputs tests/data/hf-tiny-llava-clip-llama/inputs.safetensors --out "$build"/forward-cuda.safetensors --device cuda
