#!/usr/bin/env bash
# Builds the shipped base model models/tiny-vlm from nothing but Debian's Fashion-MNIST and FFmpeg:
# the built-in datasets, a SentencePiece vocabulary trained on their text, a media cache, then
# recipes/pretrain/tiny-vlm.yaml (pretraining from scratch), exported as a Hugging Face folder.
# Usage (repository root, after `make build`): bash tools/build_tiny_vlm.sh [--set key=value ...]
set -euo pipefail
vltune=${VLTUNE:-build/cli/vltune}
data=data/tiny-vlm
mkdir -p "$data"
[ -f "$data/fashion-mnist/caption_train.json" ] || "$vltune" data fashion-mnist --out "$data/fashion-mnist" --limit 12000
[ -f "$data/synthetic-video/caption_train.json" ] || "$vltune" data synthetic-video --range pretrain --out "$data/synthetic-video" --clips 3000 --frames 8
if [ ! -f "$data/tokenizer.model" ]; then
  datasets=()
  for f in fashion-mnist/caption_train fashion-mnist/vqa_train synthetic-video/caption_train synthetic-video/qa_train; do
    datasets+=(--dataset "$data/$f.json")
  done
  "$vltune" tokenizer train --out "$data/tokenizer" --vocab 511 "${datasets[@]}"
fi
[ -d "$data/cache" ] || "$vltune" prepare recipes/pretrain/tiny-vlm.yaml --out "$data/cache" --num-frames 4
"$vltune" train recipes/pretrain/tiny-vlm.yaml --set data.cache="$data/cache" "$@"
rm -rf models/tiny-vlm.new
"$vltune" export runs/pretrain-tiny-vlm --merged models/tiny-vlm.new
cp "$data/tokenizer.model" models/tiny-vlm.new/tokenizer.model
rm -rf models/tiny-vlm && mv models/tiny-vlm.new models/tiny-vlm
du -sh models/tiny-vlm
