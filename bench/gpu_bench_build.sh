# Sourced by bench/gpu_llava.sh and bench/gpu_qwen.sh on the GPU machine: `gpu_bench_build BUILD_DIR TARGET`
# is tools/gpu_build.sh's build of that one target (tests configured too, as the benches link them).
source tools/gpu_build.sh
gpu_bench_build() { gpu_build "$@"; }

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
