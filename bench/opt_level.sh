#!/usr/bin/env bash
# Does -O2 cost training speed against -O3 (CMake's Release default)? Builds the vltune program
# twice, at each level, then trains the same recipe with each binary in turn (O2 O3 O2 O3 ...) on
# the same pinned cores, so machine noise hits both alike, and prints each run's median step time
# (from its metrics.jsonl, the first logged step left out), the median per level and the ratio.
# docs/performance.md, "Build time", records what it showed.
#
# Usage: bash bench/opt_level.sh RECIPE [vltune train options, e.g. --set train.steps=40]
#   OPT_CORES (default 0,1): the cores the training runs are pinned to
#   OPT_REPEATS (default 3): runs per level
#   OPT_BUILD_ARGS: extra configure arguments (the GPU machine's LibTorch, media off, ...)
set -euo pipefail
recipe=$1
shift
cores=${OPT_CORES:-0,1}
repeats=${OPT_REPEATS:-3}
work=${OPT_DIR:-build-opt}
half=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
for level in O2 O3; do
  cmake -S . -B "$work-$level" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-$level -DNDEBUG" \
    ${OPT_BUILD_ARGS:-} > "$work-$level.configure.log" 2>&1
  cmake --build "$work-$level" --parallel "$half" --target vltune vltune-sentencepiece > "$work-$level.build.log" 2>&1 &
done
wait
median_step_ms() {  # the median step_time_ms of a run's metrics.jsonl, the first record left out
  python3 - "$1" <<'PY'
import json, sys
times = [r["step_time_ms"] for r in map(json.loads, open(sys.argv[1])) if "step_time_ms" in r][1:]
times.sort()
print(f"{times[len(times) // 2]:.2f}")
PY
}
declare -A results
for i in $(seq "$repeats"); do
  for level in O2 O3; do
    run=$(mktemp -d)
    OMP_NUM_THREADS=2 taskset -c "$cores" "$work-$level/cli/vltune" train "$recipe" --run-dir "$run/run" \
      --set output.log_every=1 --set output.save_every=0 "$@" \
      > "$run/train.log" 2>&1 || { tail -5 "$run/train.log"; exit 1; }
    ms=$(median_step_ms "$run/run/metrics.jsonl")
    echo "run $i -$level: median step $ms ms"
    results[$level]+="$ms "
    rm -rf "$run"
  done
done
python3 - "${results[O2]}" "${results[O3]}" <<'PY'
import statistics, sys
o2, o3 = ([float(x) for x in arg.split()] for arg in sys.argv[1:3])
m2, m3 = statistics.median(o2), statistics.median(o3)
print(f"median of runs: -O2 {m2:.2f} ms/step, -O3 {m3:.2f} ms/step, O2/O3 {m2 / m3:.3f}")
PY
