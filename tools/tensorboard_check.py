"""Checks that TensorBoard itself reads the scalars a vltune run wrote.

Run where the tensorboard Python package is installed (the GPU machine), from the repository root:
    python3 tools/tensorboard_check.py RUN_DIR
Loads RUN_DIR with TensorBoard's EventAccumulator, prints every scalar tag with its (step, value)
pairs, and, when RUN_DIR/metrics.jsonl exists, checks that each value logged there is the one
TensorBoard shows for "<kind>/<name>" at that step (as float32; a step logged twice after a resume
counts with its later value). Exits 1 when no scalar is found or a value differs.
"""
import json
import math
import os
import struct
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def as_float32(value):
    """The float vltune wrote to the event file for this double (beyond float's range: infinity)."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def main(run_dir):
    accumulator = EventAccumulator(run_dir, size_guidance={"scalars": 0})  # 0: keep every event
    accumulator.Reload()
    tags = accumulator.Tags()["scalars"]
    if not tags:
        print(f"{run_dir}: TensorBoard found no scalars")
        return 1
    shown = {}
    for tag in sorted(tags):
        events = accumulator.Scalars(tag)
        print(f"{tag}: {len(events)} points")
        for event in events:
            print(f"  step {event.step}: {event.value!r}")
            shown[(tag, event.step)] = event.value

    metrics_path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(metrics_path):
        return 0
    logged = {}
    with open(metrics_path) as lines:
        for line in lines:
            entry = json.loads(line)
            for name, value in entry.items():
                if name not in ("kind", "step", "wall_time") and value is not None:
                    logged[(f"{entry['kind']}/{name}", entry["step"])] = value
    mismatches = 0
    for (tag, step), value in sorted(logged.items()):
        seen = shown.get((tag, step))
        if seen is None or seen != as_float32(value):
            print(f"MISMATCH {tag} step {step}: metrics.jsonl {value!r}, TensorBoard {seen!r}")
            mismatches += 1
    print(f"{len(logged)} values of metrics.jsonl checked against TensorBoard, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 tools/tensorboard_check.py RUN_DIR")
    sys.exit(main(sys.argv[1]))
