#!/usr/bin/env bash
# Before a tools/gpu_results.sh device call, moves out of the working tree what the call does not
# need, so that what travels stays under the device's 64 MiB (DEVELOPERS.md, "The GPU machine"),
# and after the call moves it back. Run from the repository root.
#
#   folder            why a results call can leave it behind
#   docs/results      its run records travel as data/run-records.tar.xz (copied here by `out`)
#   tests/data        a results call builds no tests
#   fuzz/corpus       nor fuzz targets
#   models/tiny-vlm   the studies train models/base-vlm
#
# Usage: bash tools/gpu_stash.sh out STASH    (STASH: an empty or new folder outside the tree)
#        bash tools/gpu_stash.sh back STASH
# Both check every folder before moving any, so a refusal leaves the tree as it was.
set -euo pipefail
folders=(docs/results tests/data fuzz/corpus models/tiny-vlm)
usage="usage: bash tools/gpu_stash.sh out|back STASH"
action=${1:?$usage}
stash=${2:?$usage}
fail() { echo "gpu_stash: $*" >&2; exit 2; }
case "$(realpath -m "$stash")/" in
  "$(pwd -P)"/*) fail "$stash is inside the working tree, which travels with the call (choose a folder outside it)" ;;
esac

case "$action" in
  out)
    if [ -d "$stash" ] && [ -n "$(ls -A "$stash")" ]; then
      fail "$stash is not empty (a stash not brought back yet? 'bash tools/gpu_stash.sh back $stash')"
    fi
    for folder in "${folders[@]}"; do
      [ -d "$folder" ] || fail "no $folder here (run from the repository root; is it stashed already?)"
    done
    [ -f docs/results/run-records.tar.xz ] || fail "no docs/results/run-records.tar.xz to carry as data/run-records.tar.xz"
    mkdir -p data "$stash"
    cp docs/results/run-records.tar.xz data/run-records.tar.xz
    for folder in "${folders[@]}"; do
      mkdir -p "$stash/$(dirname "$folder")"
      mv "$folder" "$stash/$folder"
    done
    echo "gpu_stash: moved ${folders[*]} to $stash; data/run-records.tar.xz is docs/results/run-records.tar.xz"
    echo "gpu_stash: carry data/run-records.tar.xz (PREVIOUS=data/run-records.tar.xz); bring the folders back with 'bash tools/gpu_stash.sh back $stash'"
    ;;
  back)
    for folder in "${folders[@]}"; do
      [ -d "$stash/$folder" ] || fail "no $stash/$folder (nothing stashed there, or brought back already)"
      [ ! -e "$folder" ] || fail "$folder exists here; it would be overwritten by $stash/$folder"
    done
    for folder in "${folders[@]}"; do
      mkdir -p "$(dirname "$folder")"
      mv "$stash/$folder" "$folder"
    done
    find "$stash" -mindepth 1 -type d -empty -delete
    echo "gpu_stash: moved ${folders[*]} back from $stash"
    ;;
  *) fail "$usage" ;;
esac
