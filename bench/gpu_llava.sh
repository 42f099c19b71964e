#!/usr/bin/env bash
# The GPU issue's whole measurement in one call: builds vltune's LLaVA training benchmark against
# the machine's PyTorch (LibTorch 2.x + CUDA, media off, that one target only), runs PEFT's
# baseline (bench/peft_llava_baseline.py, a copy of ../shared/bench/) and vltune's bench on the same
# GPU, and prints both sides per setting with the ratios and the goals (docs/performance.md).
# Usage (on the GPU machine, from the repository root): bash bench/gpu_llava.sh [BUILD_DIR]
set -euo pipefail
source bench/gpu_bench_build.sh
build=${1:-build-bench}
gpu_bench_both "$build" vltune_bench_gpu_llava bench/peft_llava_baseline.py llava
python3 - "$build/peft-llava.jsonl" "$build/vltune-llava.jsonl" <<'PY'
import json, sys
peft = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ours = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
names = ["lora all-linear", "dora all-linear", "lora attention", "dora attention", "full decoder"]
by = dict(zip(names, zip(peft, ours)))
print(f"{'setting':16} {'PEFT ms':>8} {'vltune ms':>9} {'ratio':>6} {'PEFT GiB':>8} {'vltune GiB':>10} {'ratio':>6} "
      f"{'TFLOP':>6} {'MFU PEFT':>8} {'MFU vltune':>10}")
for name, (p, o) in by.items():
    if "error" in p or "error" in o:
        print(f"{name:16} error: {p.get('error', '')} {o.get('error', '')}"); continue
    mfu_p = o["model_tflop"] / (p["step_ms_median"] / 1000) / 989
    print(f"{name:16} {p['step_ms_median']:8.1f} {o['step_ms_median']:9.1f} {o['step_ms_median'] / p['step_ms_median']:6.3f} "
          f"{p['peak_gib']:8.2f} {o['peak_gib']:10.2f} {o['peak_gib'] / p['peak_gib']:6.3f} "
          f"{o['model_tflop']:6.2f} {mfu_p:8.1%} {o['mfu']:10.1%}")
def get(name, side, key): return by[name][side][key]
goals = [
    ("vltune DoRA all-linear step / PEFT DoRA", get("dora all-linear", 1, "step_ms_median") / get("dora all-linear", 0, "step_ms_median"), 0.45),
    ("vltune DoRA all-linear peak / PEFT DoRA", get("dora all-linear", 1, "peak_gib") / get("dora all-linear", 0, "peak_gib"), 0.65),
    ("vltune DoRA / LoRA step, all-linear", get("dora all-linear", 1, "step_ms_median") / get("lora all-linear", 1, "step_ms_median"), 1.10),
    ("vltune DoRA / LoRA peak, all-linear", get("dora all-linear", 1, "peak_gib") / get("lora all-linear", 1, "peak_gib"), 1.05),
    ("vltune DoRA / LoRA step, attention", get("dora attention", 1, "step_ms_median") / get("lora attention", 1, "step_ms_median"), 1.10),
    ("vltune DoRA / LoRA peak, attention", get("dora attention", 1, "peak_gib") / get("lora attention", 1, "peak_gib"), 1.05),
    ("vltune LoRA all-linear step / PEFT full FT", get("lora all-linear", 1, "step_ms_median") / get("full decoder", 0, "step_ms_median"), 1.00),
    ("PEFT DoRA / LoRA step, all-linear", get("dora all-linear", 0, "step_ms_median") / get("lora all-linear", 0, "step_ms_median"), None),
    ("PEFT DoRA / LoRA peak, all-linear", get("dora all-linear", 0, "peak_gib") / get("lora all-linear", 0, "peak_gib"), None),
]
for label, value, goal in goals:
    verdict = "" if goal is None else f"(goal <= {goal:.2f}: {'met' if value <= goal else 'NOT met'})"
    print(f"{label:45} {value:6.3f} {verdict}")
print(f"MFU vltune LoRA all-linear {get('lora all-linear', 1, 'mfu'):.1%}, DoRA all-linear {get('dora all-linear', 1, 'mfu'):.1%} (aim >= 40%)")
PY
