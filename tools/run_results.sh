#!/usr/bin/env bash
# Reproduces docs/results.md's fine-tuning tables: the built-in data, then every compare file
# under recipes/results/ named on the command line (default: all), each followed by
# tools/results_finish.sh (`vltune analyze` of a methods study, `vltune results collect` into
# docs/results/<study>/), then `vltune results render` of docs/results.md. Needs the base model of
# recipes/results/tasks/protocol.yaml.
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
  VLTUNE=$vltune bash tools/results_finish.sh "$file"
done
"$vltune" results render docs/results --doc docs/results.md
