#!/usr/bin/env bash
# Issue 18's measurement in one call: builds vltune's Qwen2.5-VL training benchmark
# (bench/gpu_qwen_bench.cpp) against the machine's PyTorch, runs PEFT's baseline
# (bench/peft_qwen25vl_baseline.py, a copy of ../shared/bench/) and vltune's bench on the same GPU,
# and prints both sides per setting with the ratios and the issue's goals: vltune's DoRA step
# <= 0.45x PEFT's, its memory <= 0.5x PEFT's, its DoRA/LoRA step <= 1.10.
# Usage (on the GPU machine, from the repository root; carry .deps): bash bench/gpu_qwen.sh [BUILD_DIR]
set -euo pipefail
source bench/gpu_bench_build.sh
build=${1:-build-bench}
gpu_bench_both "$build" vltune_bench_gpu_qwen bench/peft_qwen25vl_baseline.py qwen
python3 - "$build/peft-qwen.jsonl" "$build/vltune-qwen.jsonl" <<'PY'
import json, sys
def lines(path):
    return {r["kind"]: r for r in (json.loads(l) for l in open(path) if l.strip().startswith("{"))}
peft, ours = lines(sys.argv[1]), lines(sys.argv[2])
print(f"{'setting':8} {'PEFT ms':>8} {'vltune ms':>9} {'ratio':>6} {'PEFT GiB':>8} {'vltune GiB':>10} {'ratio':>6} "
      f"{'TFLOP':>6} {'MFU PEFT':>8} {'MFU vltune':>10}")
ok = {}
for kind in ["lora", "dora"]:
    p, o = peft.get(kind, {"error": "no line"}), ours.get(kind, {"error": "no line"})
    if "error" in p or "error" in o:
        print(f"{kind:8} error: PEFT {p.get('error', '')} vltune {o.get('error', '')}")
        continue
    ok[kind] = (p, o)
    print(f"{kind:8} {p['step_ms_median']:8.1f} {o['step_ms_median']:9.1f} {o['step_ms_median'] / p['step_ms_median']:6.3f} "
          f"{p['peak_gib']:8.2f} {o['peak_gib']:10.2f} {o['peak_gib'] / p['peak_gib']:6.3f} {o['model_tflop']:6.2f} "
          f"{o['model_tflop'] / (p['step_ms_median'] / 1000) / 989:8.1%} {o['mfu']:10.1%}")
goals = []
if "dora" in ok:
    p, o = ok["dora"]
    goals += [("vltune DoRA step / PEFT DoRA", o["step_ms_median"] / p["step_ms_median"], 0.45),
              ("vltune DoRA peak / PEFT DoRA", o["peak_gib"] / p["peak_gib"], 0.50)]
if "lora" in ok:
    p, o = ok["lora"]
    goals += [("vltune LoRA step / PEFT LoRA", o["step_ms_median"] / p["step_ms_median"], None),
              ("vltune LoRA peak / PEFT LoRA", o["peak_gib"] / p["peak_gib"], 0.50)]
if len(ok) == 2:
    goals += [("vltune DoRA / LoRA step", ok["dora"][1]["step_ms_median"] / ok["lora"][1]["step_ms_median"], 1.10),
              ("PEFT DoRA / LoRA step", ok["dora"][0]["step_ms_median"] / ok["lora"][0]["step_ms_median"], None)]
for label, value, goal in goals:
    verdict = "" if goal is None else f"(goal <= {goal:.2f}: {'met' if value <= goal else 'NOT met'})"
    print(f"{label:32} {value:6.3f} {verdict}")
PY
