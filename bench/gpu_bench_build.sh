# Sourced by bench/gpu_llava.sh and bench/gpu_qwen.sh on the GPU machine: `gpu_bench_build BUILD_DIR TARGET`
# configures BUILD_DIR against the machine's PyTorch (LibTorch 2.x + CUDA, media off) and builds that one
# target; RE2, PCRE2 and ICU come from .deps (tools/gpu_deps.sh), which the GPU machine lacks.
gpu_bench_build() {
  local build=$1 target=$2 prefix
  if [ -d .deps ]; then eval "$(bash tools/gpu_deps.sh install)"; fi
  prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  echo "== $(date -u +%F) torch $(python3 -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))')"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTUNE_WITH_MEDIA=OFF \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; return 1; }
  if ! cmake --build "$build" --target "$target" --parallel "$(nproc)" -- -k 0 > "$build.build.log" 2>&1; then
    grep -E -B2 -A12 "error|FAILED" "$build.build.log" | head -n 80
    return 1
  fi
}

# `gpu_bench_both BUILD_DIR TARGET PEFT_SCRIPT NAME`: the build above, then PEFT's script and vltune's
# bench on the same GPU, their JSON lines kept in BUILD_DIR/peft-NAME.jsonl and BUILD_DIR/vltune-NAME.jsonl.
gpu_bench_both() {
  local build=$1 target=$2 peft=$3 name=$4
  gpu_bench_build "$build" "$target"
  echo "== PEFT"
  python3 "$peft" | tee "$build/peft-$name.jsonl"
  echo "== vltune"
  "$build/bench/$target" | tee "$build/vltune-$name.jsonl"
}
