# Sourced by the bench/gpu_*.sh scripts on the GPU machine: tools/gpu_build.sh's `gpu_build BUILD_DIR
# TARGET` builds a bench (tests configured too, as the benches link them), and
# `gpu_bench_both BUILD_DIR TARGET PEFT_SCRIPT NAME` builds it, then runs PEFT's script and vltune's
# bench on the same GPU, their JSON lines kept in BUILD_DIR/peft-NAME.jsonl and BUILD_DIR/vltune-NAME.jsonl.
gpu_bench_both() {
  local build=$1 target=$2 peft=$3 name=$4
  gpu_build "$build" "$target"
  echo "== PEFT"
  python3 "$peft" | tee "$build/peft-$name.jsonl"
  echo "== vltune"
  "$build/bench/$target" | tee "$build/vltune-$name.jsonl"
}
