#!/usr/bin/env bash
# Reproduces docs/results.md's fine-tuning tables: the built-in data, then every compare file
# under recipes/results/ named on the command line (default: all), then `vltune analyze` over the
# methods runs. Needs models/tiny-vlm (shipped; tools/build_tiny_vlm.sh remakes it).
# Usage (repository root, after `make build`): bash tools/run_results.sh [recipes/results/X.yaml ...]
set -euo pipefail
vltune=${VLTUNE:-build/cli/vltune}
[ -f data/fashion-mnist/vqa_train.json ] || "$vltune" data fashion-mnist --out data/fashion-mnist --limit 4000
[ -f data/synthetic-video/qa_train.json ] || "$vltune" data synthetic-video --out data/synthetic-video --clips 1000
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(recipes/results/*.yaml)
for file in "${files[@]}"; do
  echo "== vltune compare $file"
  "$vltune" compare "$file"
  case "$file" in
    *-methods.yaml)
      out=runs/results/$(basename "$file" .yaml)
      "$vltune" analyze "$out"/runs/ft-seed* "$out"/runs/lora-seed* "$out"/runs/dora-seed* --out "$out/analysis" ;;
  esac
done
