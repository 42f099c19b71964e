#!/usr/bin/env bash
# Runs several compare files at once on one machine: each file is split into shards
# (`vltune compare --shard K/N`), the shards of all files queue for a pool of workers per device,
# the tuning shards of every file with `tune:` first (`--tune-only --shard K/N`: its candidate
# learning rates on the validation split), then, once they have all ended, the seed runs' shards;
# and each file whose shards all ended gets its report (`vltune compare` again, which reuses the
# finished runs) and tools/results_finish.sh (ΔM/ΔD from the checkpoints, which stay on this
# machine, and the raw records into docs/results/<study>/). docs/results.md used it on the GPU
# machine (its 16 cores and one GPU).
#
# Usage: bash tools/compare_pool.sh [options] FILE@DEVICE[@SETTINGS] ...
#   FILE@cuda, FILE@cpu    the device every run of FILE uses (--set model.device=...)
#   @SETTINGS              further --set assignments for that file, comma-separated:
#                          recipes/results/video-qa-ranks.yaml@cpu@data.cache=cache/video
# Options (environment): VLTUNE (default build/cli/vltune), CUDA_WORKERS (4), CPU_WORKERS (4),
#   CPU_THREADS (threads per CPU worker, 2), SHARDS (per file, 10; a shard with no run ends at
#   once), DEADLINE (seconds after which no shard starts; default none). Logs: runs/pool-logs/.
set -uo pipefail
vltune=${VLTUNE:-build/cli/vltune}
cuda_workers=${CUDA_WORKERS:-4} cpu_workers=${CPU_WORKERS:-4} cpu_threads=${CPU_THREADS:-2}
shards=${SHARDS:-10} deadline=${DEADLINE:-0}
logs=runs/pool-logs
mkdir -p "$logs"
start=$(date +%s)

# One line per shard: FILE DEVICE SETTINGS K N PHASE (tune: the tuning runs of a file with tune:; runs: its seed runs)
queue=$(mktemp)
for phase in tune runs; do
  for spec in "$@"; do
    IFS=@ read -r file device settings <<< "$spec"
    [ "$phase" = tune ] && ! grep -q '^tune:' "$file" && continue
    for k in $(seq 1 "$shards"); do echo "$file $device ${settings:--} $k $shards $phase" >> "$queue"; done
  done
done

sets() {  # --set arguments for a device and a SETTINGS list
  local device=$1 settings=$2
  printf -- '--set model.device=%s' "$device"
  [ "$settings" = "-" ] || for s in ${settings//,/ }; do printf -- ' --set %s' "$s"; done
}

run_shard() {
  local file=$1 device=$2 settings=$3 k=$4 n=$5 phase=$6 name log flag=
  name=$(basename "$file" .yaml)
  log=$logs/$name-$k-of-$n
  [ "$phase" = tune ] && log=$logs/$name-tune-$k-of-$n flag=--tune-only
  if [ "$deadline" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$deadline" ]; then
    echo "skipped (deadline): $name $phase $k/$n"; return 0
  fi
  local threads=1
  [ "$device" = cpu ] && threads=$cpu_threads
  # shellcheck disable=SC2046
  if OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads "$vltune" compare "$file" $(sets "$device" "$settings") \
       $flag --shard "$k/$n" > "$log.log" 2>&1; then
    touch "$log.done"
    echo "done: $name $phase $k/$n ($(($(date +%s) - start)) s)"
  else
    echo "FAILED: $name $phase $k/$n (see $log.log)"; tail -3 "$log.log"
  fi
}
export -f run_shard sets
export vltune deadline start logs cpu_threads

# The tuning shards of every file, then (a seed shard needs its file's whole tuning) the seed runs' shards.
for phase in tune runs; do
  for device in cuda cpu; do
    workers=$cuda_workers
    [ "$device" = cpu ] && workers=$cpu_workers
    grep -E "^[^ ]+ $device .* $phase\$" "$queue" | xargs -r -P "$workers" -L 1 bash -c 'run_shard "$@"' _ &
  done
  wait
done

for spec in "$@"; do
  IFS=@ read -r file device settings <<< "$spec"
  name=$(basename "$file" .yaml)
  # NAME-K-of-N.done: the seed shards (not NAME-tune-K-..., nor a study whose name extends this one's)
  done_shards=$(ls "$logs/$name"-[0-9]*-of-"$shards".done 2> /dev/null | wc -l)
  if [ "$done_shards" -eq "$shards" ]; then
    # shellcheck disable=SC2046
    "$vltune" compare "$file" $(sets "$device" "${settings:--}") > "$logs/$name-report.log" 2>&1 &&
      VLTUNE=$vltune bash tools/results_finish.sh "$file" $(sets "$device" "${settings:--}") >> "$logs/$name-report.log" 2>&1 &&
      echo "== $name" && sed -n '/^|/p' "$logs/$name-report.log" ||
      { echo "report FAILED: $name"; tail -3 "$logs/$name-report.log"; }
  else
    echo "== $name: $done_shards of $shards shards ended; run this again to finish (finished runs are reused)"
  fi
done
rm -f "$queue"
