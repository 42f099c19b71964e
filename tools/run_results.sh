#!/usr/bin/env bash
# Reproduces docs/results.md's fine-tuning tables: the built-in data, then every compare file
# under recipes/results/ named on the command line (default: all), each followed by
# tools/results_finish.sh (`vltune analyze` of a methods study, `vltune results collect` into
# docs/results/<study>/), then `vltune results render` of docs/results.md. Needs the base model of
# recipes/results/tasks/protocol.yaml.
# Usage (repository root, after `make build`): bash tools/run_results.sh [recipes/results/X.yaml ...]
set -euo pipefail
vltune=${VLTUNE:-build/cli/vltune}
# The downstream data and its media caches (and the pretraining data beside them) come from
# tools/build_base.sh prep; the base model itself from its gpu (or train) step.
[ -d data/base/study-fm-cache ] && [ -d data/base/study-video-cache ] || VLTUNE=$vltune bash tools/build_base.sh prep data/base-bundle.tar.xz
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(recipes/results/*.yaml)
for file in "${files[@]}"; do
  echo "== vltune compare $file"
  "$vltune" compare "$file"
  VLTUNE=$vltune bash tools/results_finish.sh "$file"
done
"$vltune" results render docs/results --doc docs/results.md
