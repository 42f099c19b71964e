#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz-build`, JOBS at a time, each for SECONDS, over its
# growing corpus (FUZZ_DIR/corpus/<target>) and the committed seeds (fuzz/corpus/<target>).
# Each target's output goes to FUZZ_DIR/<target>.log; crashers to FUZZ_DIR/crashes/<target>-*.
# Prints one line per target (runs, corpus size, result) and fails if any target found something.
# Usage: FUZZ_DIR=build-fuzz bash fuzz/run_fuzzers.sh JOBS SECONDS TARGET...
set -uo pipefail
jobs=$1 seconds=$2
shift 2
dir=${FUZZ_DIR:-build-fuzz}
mkdir -p "$dir/crashes"
run_one() {
  local t=$1
  mkdir -p "$dir/corpus/$t"
  ASAN_OPTIONS=detect_leaks=0 "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
    -max_len=262144 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
    "$dir/corpus/$t" "fuzz/corpus/$t" > "$dir/$t.log" 2>&1
  local status=$?
  local runs corpus
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/$t.log" | grep -o '[0-9]*$')
  corpus=$(ls "$dir/corpus/$t" | wc -l)
  if [ $status -eq 0 ]; then
    echo "fuzz_$t: ${seconds} s, ${runs:-?} runs, corpus $corpus, nothing found"
  else
    echo "fuzz_$t: FOUND something (status $status): see $dir/$t.log and $dir/crashes/$t-*"
  fi
  return $status
}
export -f run_one
export dir seconds
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
