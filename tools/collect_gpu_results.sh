#!/usr/bin/env bash
# Brings a tools/gpu_results.sh call's outputs into this checkout (after the call, with docs/results
# moved back): every study folder in DIR/results.tar.xz that holds a results.json replaces the
# files of the same name in docs/results/<study>/ (files it does not bring stay, e.g. a methods
# study's committed analysis/), DIR/run-records.tar.xz becomes docs/results/run-records.tar.xz, and
# docs/results.md is rendered again. DIR: the call's files_at (or any folder with the two files).
# Usage (repository root): [VLTUNE=build/cli/vltune] bash tools/collect_gpu_results.sh DIR
set -euo pipefail
dir=${1:?usage: bash tools/collect_gpu_results.sh DIR}
vltune=${VLTUNE:-build/cli/vltune}
for file in results.tar.xz run-records.tar.xz; do
  [ -f "$dir/$file" ] || { echo "collect_gpu_results: no $dir/$file (expected a gpu_results.sh call's outputs)" >&2; exit 2; }
done
[ -d docs/results ] || { echo "collect_gpu_results: no docs/results here (move it back first, or run from the repository root)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xJf "$dir/results.tar.xz" -C "$tmp"
collected=0
for study in "$tmp"/docs/results/*/; do
  [ -f "$study/results.json" ] || continue  # nothing new for it (a study the call only reused, or base-vlm)
  name=$(basename "$study")
  mkdir -p "docs/results/$name"
  cp -r "$study". "docs/results/$name/"
  echo "collect_gpu_results: docs/results/$name"
  collected=$((collected + 1))
done
cp "$dir/run-records.tar.xz" docs/results/run-records.tar.xz
echo "collect_gpu_results: $collected studies, and docs/results/run-records.tar.xz"
"$vltune" results render docs/results --doc docs/results.md
