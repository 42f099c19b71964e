#!/usr/bin/env bash
# The distributed check on the GPU machine (docs/distributed.md, issue 17): a DoRA run of the
# shipped tiny-vlm on text-only data, once as one process and once as two ranks under PyTorch's own
# torchrun, and the two adapters compared (the same global batch and seed: equal within 1e-6).
#   With 2 GPUs or more: NCCL, one GPU per rank (model.device cuda = cuda:LOCAL_RANK).
#   With one GPU: both ranks on cuda:0. NCCL refuses two ranks of one communicator on one GPU
#   ("Duplicate GPU detected"), so that attempt is run and its outcome printed, then the same launch
#   with distributed.backend=gloo (Gloo reduces the CUDA gradients through host memory) is the check.
# NVLink multicast (NVLS) stays off: NCCL_NVLS_ENABLE=0.
# Usage (on the GPU machine, from the repository root): bash tools/gpu_distributed.sh [BUILD_DIR]
set -euo pipefail
if [ -d .deps ]; then eval "$(bash tools/gpu_deps.sh install)"; fi
build=${1:-build-cuda}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
echo "== torch $(python3 -c 'import torch; print(torch.__version__, torch.cuda.device_count(), "GPU(s)")')"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTUNE_WITH_MEDIA=OFF \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" 2>&1 | grep -E "vltune|Error|error" || true
cmake --build "$build" --parallel "$(nproc)" --target vltune
vltune=$(realpath "$build/cli/vltune")
work=$(realpath -m "${OUT:-$build}/distributed-check")
rm -rf "$work" && mkdir -p "$work"
export NCCL_NVLS_ENABLE=0

# 96 text-only samples (alpaca): sums of two small numbers.
python3 - "$work" <<'PY'
import json, sys
rows = [{"instruction": f"What is {a} plus {b}?", "input": "", "output": str(a + b)} for a in range(12) for b in range(8)]
json.dump(rows[:80], open(f"{sys.argv[1]}/train.json", "w"))
json.dump(rows[80:], open(f"{sys.argv[1]}/eval.json", "w"))
PY
cat > "$work/recipe.yaml" <<YAML
# bash tools/gpu_distributed.sh (written by it)
model: {path: $(realpath models/tiny-vlm), device: cuda:0}
adapters: {preset: full_layer, method: dora, rank: 8, alpha: 16}
data:
  train: {format: alpaca, path: train.json}
  eval: {format: alpaca, path: eval.json}
  workers: 1
train: {steps: 12, batch_size: 1, grad_accum: 4, lr: 1e-3, schedule: constant, seed: 5}
eval: {metrics: [loss, exact_match], max_samples: 16, batch_size: 1, max_new_tokens: 4}
output: {save_every: 6, log_every: 1}
distributed: {timeout: 120}
YAML

echo "== one process, batch 1 x 8 micro-batches"
"$vltune" train "$work/recipe.yaml" --run-dir "$work/one" --set train.grad_accum=8 2>&1 | tail -4

compare() {  # compare RUN_A RUN_B: the step-12 adapters' largest difference, and the final eval records
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
import numpy as np
def load(run):
    raw = open(f"{run}/checkpoints/step-00000012/adapter/adapter_model.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    kinds = {"F32": np.float32, "BF16": None, "F16": np.float16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__": continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=kinds[info["dtype"]]).astype(np.float64)
    return out
def last_eval(run):
    return [json.loads(l) for l in open(f"{run}/metrics.jsonl") if '"eval"' in l][-1]
a, b = load(sys.argv[1]), load(sys.argv[2])
diff = max(float(np.abs(a[k] - b[k]).max()) for k in a)
print(f"adapters: {len(a)} tensors, largest difference {diff:.3e} ({'PASS' if diff <= 1e-6 and a.keys() == b.keys() else 'FAIL'} at 1e-6)")
ea, eb = last_eval(sys.argv[1]), last_eval(sys.argv[2])
print("eval one process:", {k: ea[k] for k in ("loss", "exact_match")})
print("eval two ranks:  ", {k: eb[k] for k in ("loss", "exact_match")})
PY
}

if [ "$(python3 -c 'import torch; print(torch.cuda.device_count())')" -ge 2 ]; then
  echo "== torchrun, 2 ranks on 2 GPUs, NCCL, batch 1 x 4 each"
  torchrun --nproc-per-node 2 --no-python "$vltune" train "$work/recipe.yaml" --run-dir "$work/two" --set model.device=cuda 2>&1 | tail -6
else
  echo "== torchrun, 2 ranks on one GPU, NCCL (expected to be refused by NCCL: one GPU per rank)"
  timeout 300 torchrun --nproc-per-node 2 --no-python "$vltune" train "$work/recipe.yaml" --run-dir "$work/two-nccl" \
    2>&1 | grep -E "distributed|NCCL|Duplicate|rank|error" | head -12 || true
  echo "== torchrun, 2 ranks on one GPU, Gloo, batch 1 x 4 each"
  torchrun --nproc-per-node 2 --no-python "$vltune" train "$work/recipe.yaml" --run-dir "$work/two" \
    --set distributed.backend=gloo 2>&1 | tail -6
fi
compare "$work/one" "$work/two"
