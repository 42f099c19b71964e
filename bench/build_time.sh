#!/usr/bin/env bash
# Build time, side by side: several builds at once, each pinned to its own pair of CPU cores
# (taskset) with ccache off, so each sees a quiet 2-core machine and all see the same conditions.
# Prints, per build, the wall and CPU seconds and the ratio of its wall time to the first build's,
# then its 10 slowest steps (from Ninja's log). Needs 2 cores per build.
#
# Usage: bash bench/build_time.sh TARGETS LABEL=SOURCE_DIR[@CMAKE_ARG,CMAKE_ARG...] ...
#   bash bench/build_time.sh "vltune vltune-sentencepiece" before=/tmp/old now=.
#   bash bench/build_time.sh all now=. "o3=.@-DCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG"
# BUILD_TIME_CMAKE_ARGS adds arguments to every configure; FIRST_CORE (default 0) is the first
# core used, so two runs can share a machine.
set -euo pipefail
targets=$1
shift
work=${BUILD_TIME_DIR:-build-time}
mkdir -p "$work"
core=${FIRST_CORE:-0}
for spec in "$@"; do
  label=${spec%%=*}
  rest=${spec#*=}
  source=${rest%%@*}
  args=()
  [[ "$rest" == *@* ]] && IFS=, read -ra args <<< "${rest#*@}"
  build="$work/$label"
  rm -rf "$build"
  cmake -S "$source" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}" ${BUILD_TIME_CMAKE_ARGS:-} \
    > "$build.configure.log" 2>&1
  (
    export CCACHE_DISABLE=1
    TIMEFORMAT="%R %U %S"
    { time taskset -c "$core,$((core + 1))" cmake --build "$build" --parallel 2 --target $targets > "$build.log" 2>&1 ||
      echo "FAILED: see $build.log" >&2; } 2> "$build.time"
  ) &
  core=$((core + 2))
done
wait
first=""
for spec in "$@"; do
  label=${spec%%=*}
  build="$work/$label"
  read -r wall user sys < <(tail -1 "$build.time")
  [ -z "$first" ] && first=$wall
  grep -h FAILED "$build.time" || true
  awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v f="$first" \
    'BEGIN { printf "%s: wall %.1f s, cpu %.1f s, wall ratio to the first %.3f\n", l, w, u + s, w / f }'
  echo "  slowest steps (s):"
  awk 'NR > 1 { printf "    %6.1f  %s\n", ($2 - $1) / 1000, $4 }' "$build/.ninja_log" | sort -rn | head -10
done
