#!/usr/bin/env bash
# What follows a compare file's report in docs/results.md's studies, into docs/results/<study>/:
# - a methods study: the ΔM/ΔD analysis of its FT, LoRA and DoRA runs (they keep a checkpoint every
#   50 steps; q_proj is the paper's view, v_proj joins the pooled second view), and the reference
#   rows: base.json, the base before fine-tuning on the task's test split (`vltune eval --base`),
#   and for a QA task prior.json, the text-only prior (`vltune data prior --json`);
# - every study: its raw records (`vltune results collect`: results.json/csv with every seed and
#   item score, analysis/analysis.csv; no checkpoints).
# `vltune results render docs/results --doc docs/results.md` then regenerates the doc's tables.
# Usage (repository root): [VLTUNE=build/cli/vltune] bash tools/results_finish.sh recipes/results/X.yaml [--set K=V]...
#   (the --set assignments are the study's own, e.g. model.device and data.cache, for the base's eval)
set -euo pipefail
vltune=${VLTUNE:-build/cli/vltune}
name=$(basename "$1" .yaml)
shift
out=runs/results/$name study=docs/results/$name
# The analysis reads checkpoints, which never leave the machine that trained the runs: runs restored
# from records (gpu_results.sh's PREVIOUS) have none, and then the committed analysis, made from those
# same runs, stands. Some runs with and some without cannot be analysed together.
case "$name" in
  *-methods)
    seeded=("$out"/runs/ft-seed* "$out"/runs/lora-seed* "$out"/runs/dora-seed*)
    with=0
    for run in "${seeded[@]}"; do [ ! -d "$run/checkpoints" ] || with=$((with + 1)); done
    if [ "$with" -eq "${#seeded[@]}" ]; then
      "$vltune" analyze "${seeded[@]}" --modules q_proj,v_proj --out "$out/analysis"
    elif [ "$with" -eq 0 ]; then
      echo "ΔM/ΔD: $name's FT, LoRA and DoRA seed runs were restored without checkpoints; $study/analysis stays as committed"
    else
      echo "error: $name: $with of ${#seeded[@]} FT, LoRA and DoRA seed runs have checkpoints, so ΔM/ΔD cannot cover them all;" \
           "train the others again (gpu_results.sh: RETRAIN=$name)" >&2
      exit 1
    fi ;;
esac
"$vltune" results collect "$out" --out "$study"
case "$name" in
  *-methods)
    task=${name%-methods}
    "$vltune" eval "recipes/results/tasks/$task.yaml" --base "$@" > "$study/base.json"
    case "$task" in
      image-vqa) "$vltune" data prior --train data/base/fashion-mnist/vqa_train_10k.json --test data/base/fashion-mnist/vqa_test.json --json > "$study/prior.json" ;;
      video-qa) "$vltune" data prior --train data/base/video-downstream/qa_train.json --test data/base/video-downstream/qa_test.json --json > "$study/prior.json" ;;
    esac ;;
esac
