#!/usr/bin/env bash
# Where the GPU time of a training step goes, LoRA beside DoRA: builds one GPU bench (Qwen2.5-VL-3B
# shaped by default), runs it with --profile (a Kineto trace of 3 steps per setting, after the timed
# ones; bench/gpu_trace.h), and prints per step the CUDA kernels whose total time differs most
# between the two settings, and the host-side ATen ops likewise. For chasing the DoRA/LoRA step ratio;
# first, each setting's kernel time by kind (GEMM, attention, the rest) and how busy the GPU was,
# for chasing MFU.
# Usage (GPU machine, repository root, carry .deps): bash bench/gpu_profile.sh [qwen|llava] [BUILD_DIR] [bench options]
set -euo pipefail
family=${1:-qwen}
build=${2:-build-bench}
shift $(( $# < 2 ? $# : 2 ))
target=vltune_bench_gpu_$family
traces=${OUT:-$build}/trace-$family
source bench/gpu_bench_build.sh
gpu_build "$build" "$target"
"$build/bench/$target" --only lora-all,dora-all --profile "$traces" "$@"
python3 - "$traces-lora-all.json" "$traces-dora-all.json" <<'PY'
import collections, json, sys
def totals(path, category):
    events = json.load(open(path))["traceEvents"]
    sums, counts = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("cat") == category and "dur" in e:
            sums[e["name"][:100]] += e["dur"] / 1000 / 3  # ms per step (3 traced steps)
            counts[e["name"][:100]] += 1 / 3
    return sums, counts
def busy(path):
    """Kernel time against the span from the first kernel's start to the last one's end: the
    share of the traced steps the GPU had work, and the kernels by kind (where MFU goes)."""
    kernels = [e for e in json.load(open(path))["traceEvents"] if e.get("cat") == "kernel" and "dur" in e]
    span = (max(e["ts"] + e["dur"] for e in kernels) - min(e["ts"] for e in kernels)) / 1000 / 3
    kinds = collections.Counter()
    for e in kernels:
        n = e["name"].lower()
        kind = ("gemm" if any(k in n for k in ("gemm", "cutlass", "sm90_xmma", "nvjet", "cublas")) else
                "attention" if any(k in n for k in ("flash", "fmha", "attention")) else "other")
        kinds[kind] += e["dur"] / 1000 / 3
    return span, sum(kinds.values()), kinds
for label, path in [("LoRA", sys.argv[1]), ("DoRA", sys.argv[2])]:
    span, total, kinds = busy(path)
    print(f"== {label}: kernels {total:.1f} ms of a {span:.1f} ms span per step (GPU busy {total / span:.0%}); "
          + ", ".join(f"{k} {v:.1f} ms" for k, v in kinds.most_common()))
for category, rows in [("kernel", 30), ("cpu_op", 25)]:
    (lora, ln), (dora, dn) = totals(sys.argv[1], category), totals(sys.argv[2], category)
    print(f"== {category}: LoRA {sum(lora.values()):.1f} ms/step, DoRA {sum(dora.values()):.1f} ms/step "
          f"(host ops nest, so their sum double-counts)")
    print(f"{'LoRA ms':>8} {'DoRA ms':>8} {'diff':>7} {'n LoRA':>7} {'n DoRA':>7}  name")
    for n in sorted(set(lora) | set(dora), key=lambda n: -abs(dora[n] - lora[n]))[:rows]:
        print(f"{lora[n]:8.2f} {dora[n]:8.2f} {dora[n] - lora[n]:7.2f} {ln[n]:7.0f} {dn[n]:7.0f}  {n}")
PY
