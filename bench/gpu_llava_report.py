"""bench/gpu_llava.sh's table: PEFT's and vltune's JSON lines per shape side by side, the ratios,
and the GPU issue's goals (issue 15) with met / NOT met. A goal whose settings are missing (a
subset was run, or a side failed) is reported as not measured.
Usage: python3 bench/gpu_llava_report.py BUILD_DIR SHAPE..."""
import json, sys

NAMES = {"lora-all": ("lora", "all"), "dora-all": ("dora", "all"), "lora-attn": ("lora", "attn"),
         "dora-attn": ("dora", "attn"), "full": ("full", None)}
MFU_GOAL = {"tinyllama": 0.35, "7b": 0.50}  # LoRA all-linear


def setting_of(line):
    """PEFT's lines name targets by regex; vltune's by placement: map both to the bench's names."""
    kind, targets = line["kind"], str(line.get("targets"))
    if kind == "full":
        return "full"
    return f"{kind}-{'all' if ('gate_proj' in targets or 'all' in targets) else 'attn'}"


def load(path):
    try:
        lines = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
    except OSError:
        return {}
    return {setting_of(l): l for l in lines}


def table(shape, peft, ours):
    print(f"-- {shape}")
    print(f"{'setting':10} {'PEFT ms':>8} {'vltune ms':>9} {'ratio':>6} {'PEFT GiB':>8} {'vltune GiB':>10} {'ratio':>6} "
          f"{'TFLOP':>6} {'MFU PEFT':>8} {'MFU vltune':>10}")
    for name in NAMES:
        p, o = peft.get(name, {}), ours.get(name, {})
        if not p or not o or "error" in p or "error" in o:
            print(f"{name:10} missing or error: {p.get('error', '')} {o.get('error', '')}")
            continue
        mfu_p = o["model_tflop"] / (p["step_ms_median"] / 1000) / 989
        print(f"{name:10} {p['step_ms_median']:8.1f} {o['step_ms_median']:9.1f} {o['step_ms_median'] / p['step_ms_median']:6.3f} "
              f"{p['peak_gib']:8.2f} {o['peak_gib']:10.2f} {o['peak_gib'] / p['peak_gib']:6.3f} "
              f"{o['model_tflop']:6.2f} {mfu_p:8.1%} {o['mfu']:10.1%}")


def goals(shape, peft, ours):
    def value(side, name, key):
        line = (peft if side == "peft" else ours).get(name)
        return None if not line or "error" in line else line[key]

    def ratio(a, b):
        return None if a is None or b is None else a / b

    rows = []
    for group in ("all", "attn"):
        rows.append((f"DoRA/LoRA step, {group}", ratio(value("ours", f"dora-{group}", "step_ms_median"),
                                                       value("ours", f"lora-{group}", "step_ms_median")), "<=", 1.05))
        rows.append((f"DoRA/LoRA peak, {group}", ratio(value("ours", f"dora-{group}", "peak_gib"),
                                                       value("ours", f"lora-{group}", "peak_gib")), "<=", 1.03))
    rows.append(("MFU LoRA all-linear", value("ours", "lora-all", "mfu"), ">=", MFU_GOAL[shape]))
    rows.append(("MFU DoRA / LoRA, all-linear", ratio(value("ours", "dora-all", "mfu"), value("ours", "lora-all", "mfu")),
                 ">=", 0.95))
    rows.append(("full FT peak / PEFT's", ratio(value("ours", "full", "peak_gib"), value("peft", "full", "peak_gib")),
                 "<=", 1.00))
    if shape == "7b":
        rows.append(("DoRA all-linear step / PEFT's", ratio(value("ours", "dora-all", "step_ms_median"),
                                                            value("peft", "dora-all", "step_ms_median")), "<=", 0.40))
        rows.append(("DoRA all-linear peak / PEFT's", ratio(value("ours", "dora-all", "peak_gib"),
                                                            value("peft", "dora-all", "peak_gib")), "<=", 0.45))
    for label, v, op, goal in rows:
        if v is None:
            print(f"{shape:9} {label:32} not measured (goal {op} {goal:.2f})")
            continue
        met = v <= goal if op == "<=" else v >= goal
        print(f"{shape:9} {label:32} {v:6.3f} (goal {op} {goal:.2f}: {'met' if met else 'NOT met'})")
    for group in ("all", "attn"):
        r = ratio(value("peft", f"dora-{group}", "step_ms_median"), value("peft", f"lora-{group}", "step_ms_median"))
        if r is not None:
            print(f"{shape:9} {'PEFT DoRA/LoRA step, ' + group:32} {r:6.3f}")


def main():
    build, shapes = sys.argv[1], sys.argv[2:]
    for shape in shapes:
        peft, ours = load(f"{build}/peft-llava-{shape}.jsonl"), load(f"{build}/vltune-llava-{shape}.jsonl")
        table(shape, peft, ours)
    print("-- goals (issue 15)")
    for shape in shapes:
        goals(shape, load(f"{build}/peft-llava-{shape}.jsonl"), load(f"{build}/vltune-llava-{shape}.jsonl"))


main()
