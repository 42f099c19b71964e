#!/usr/bin/env bash
# Deletes finished runs of docs/results.md's studies so that the next `vltune compare` (through
# tools/gpu_results.sh or tools/run_results.sh) trains them again: for each STUDY/VARIANT, its seed
# runs (runs/results/STUDY/runs/VARIANT-seed*) and its tuning runs (.../tune/VARIANT-lr*). With
# --before TIME (anything `date -d` reads, e.g. "2026-12-03 07:30 UTC"), only the runs whose
# summary.json is older than TIME: e.g. the runs made before a kernel change, kept in the records
# (docs/results/run-records.tar.xz, which preserves each file's time), while the newer ones stay.
# A study's report then regenerates from the retrained runs. VARIANT is a variant's full name (a
# rank study's lora-attention_only-r8), so "dora" never takes "dora_half" or "dvora" with it.
# A run's time is its summary.json's, or its diverged.json's (a tuning run that diverged has no
# summary). --seeds-only keeps the tuning runs (tools/gpu_results.sh's RETRAIN: a methods study's
# ΔM/ΔD needs its seed runs' checkpoints, which never leave the GPU machine).
# Usage (repository root): bash tools/drop_runs.sh [--before TIME] [--seeds-only] STUDY/VARIANT...
set -euo pipefail
usage="usage: bash tools/drop_runs.sh [--before TIME] [--seeds-only] STUDY/VARIANT..."
before= seeds_only=
while [ $# -gt 0 ]; do
  case $1 in
    --before)
      [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
      before=$(date -d "$2" +%s) || { echo "drop_runs: --before '$2' is not a time date reads" >&2; exit 2; }
      shift 2 ;;
    --seeds-only) seeds_only=1; shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
for spec in "$@"; do
  study=${spec%%/*} variant=${spec#*/}
  if [ "$study" = "$spec" ] || [ -z "$variant" ] || [ ! -d "runs/results/$study" ]; then
    echo "drop_runs: '$spec' is not STUDY/VARIANT of a study in runs/results" >&2; exit 2
  fi
  dropped=0
  tune_runs=(runs/results/"$study"/tune/"$variant"-lr*)
  [ -z "$seeds_only" ] || tune_runs=()
  for run in runs/results/"$study"/runs/"$variant"-seed* "${tune_runs[@]}"; do
    [ -d "$run" ] || continue
    record=$run/summary.json
    [ -f "$record" ] || record=$run/diverged.json
    if [ -n "$before" ] && [ -f "$record" ] && [ "$(stat -c %Y "$record")" -ge "$before" ]; then continue; fi
    rm -rf "$run"
    dropped=$((dropped + 1))
  done
  echo "drop_runs: $spec: $dropped runs to train again"
done
