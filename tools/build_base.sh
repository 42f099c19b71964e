#!/usr/bin/env bash
# Builds the results study's base model, models/base-vlm (recipes/pretrain/base-vlm.yaml, issue 16),
# from nothing but Debian packages: Fashion-MNIST (dataset-fashion-mnist), clips drawn with OpenCV
# and encoded with FFmpeg, WordNet's glosses (wordnet-base). In two halves, since the GPU machine
# has no OpenCV or FFmpeg:
#
#   bash tools/build_base.sh prep BUNDLE
#       here (media support, `make build`): the pretraining data (all 60,000 Fashion-MNIST training
#       captions, 6,400 + 1,600 clips from the pretraining seed range, 39,220 glosses), a
#       SentencePiece vocabulary trained on that text alone, the downstream video test clips
#       (the downstream seed range), and the media caches, packed into BUNDLE (.tar.xz). The media
#       files themselves stay here: the caches hold their pixels, and `train` re-creates them
#       empty (the dataset readers only check that each exists).
#   bash tools/build_base.sh gpu BUNDLE OUT [--set key=value ...]
#       the GPU machine, repository root, one device call: builds vltune (media off, as
#       tools/gpu_results.sh does), then `train` with DEVICE=cuda.
#   [VLTUNE=build/cli/vltune DEVICE=cpu EVAL_SAMPLES=0] bash tools/build_base.sh train BUNDLE OUT [--set ...]
#       unpacks BUNDLE (unless its data is here already), pretrains (at most TRAIN_SECONDS; the
#       newest checkpoint is exported if the time runs out first, and OUT/pretrain-summary.json
#       says which step), exports models/base-vlm, evaluates it before any fine-tuning on every
#       downstream task's test split (recipes/pretrain/base-eval/*.yaml; EVAL_SAMPLES > 0 takes
#       that many of each instead, for a check on the CPU), and writes to OUT:
#         base-vlm.tar.gz.part-aa, -ab, ...   the model folder, in 15 MB pieces
#                                            (cat OUT/base-vlm.tar.gz.part-* | tar xz)
#         base-eval.json                      {task: the metrics `vltune eval --base` printed}
#         pretrain-summary.json, pretrain.log the run's summary and its log's last 200 lines
# The device call carries BUNDLE and, for RE2, .deps/libre2-9_*.deb and .deps/libre2-dev_*.deb
# (bash tools/gpu_deps.sh fetch); docs/results.md gives the exact call.
set -euo pipefail
mode=${1:?usage: bash tools/build_base.sh prep BUNDLE | gpu BUNDLE OUT | train BUNDLE OUT}
bundle=${2:?BUNDLE}
vltune=${VLTUNE:-build/cli/vltune}
data=data/base
start=$(date +%s)

prep() {
  mkdir -p "$data"
  [ -f "$data/fashion-mnist/caption_train.json" ] || "$vltune" data fashion-mnist --out "$data/fashion-mnist"
  [ -f "$data/synthetic-video/caption_train.json" ] ||
    "$vltune" data synthetic-video --range pretrain --out "$data/synthetic-video" --clips 8000 --frames 8
  [ -f "$data/video-downstream/qa_test.json" ] || "$vltune" data synthetic-video --out "$data/video-downstream" --clips 5000
  [ -f "$data/wordnet.json" ] || python3 tools/wordnet_glosses.py "$data/wordnet.json"
  # The vocabulary sees the pretraining text only: no downstream question or answer.
  [ -f "$data/tokenizer.model" ] || "$vltune" tokenizer train --out "$data/tokenizer" --vocab 2047 \
    --dataset "$data/fashion-mnist/caption_train.json" --dataset "$data/synthetic-video/caption_train.json" \
    --dataset "$data/wordnet.json"
  [ -d "$data/cache" ] || "$vltune" prepare recipes/pretrain/base-vlm.yaml --out "$data/cache"
  # The downstream tasks (recipes/results/tasks/): the questions and captions of the first 10,000
  # training images (a study run takes 4,800 samples, its tuning holds out a tenth), all 10,000 test
  # images, and the 5,000 downstream clips; one media cache per modality.
  for kind in vqa caption; do
    [ -f "$data/fashion-mnist/${kind}_train_10k.json" ] || python3 -c 'import json, sys
json.dump(json.load(open(sys.argv[1]))[:10000], open(sys.argv[2], "w"), indent=1)' \
      "$data/fashion-mnist/${kind}_train.json" "$data/fashion-mnist/${kind}_train_10k.json"
  done
  [ -d "$data/study-fm-cache" ] || "$vltune" prepare recipes/results/tasks/image-vqa.yaml \
    --model recipes/pretrain/base-vlm-config --out "$data/study-fm-cache"
  [ -d "$data/study-video-cache" ] || "$vltune" prepare recipes/results/tasks/video-qa.yaml \
    --model recipes/pretrain/base-vlm-config --out "$data/study-video-cache"
  mkdir -p "$(dirname "$bundle")"
  # The pretraining bundle also carries what the studies need beside data/base/cache (which holds
  # every Fashion-MNIST image), so that one device call can pretrain and start the studies.
  tar cf - "$data"/fashion-mnist/{caption,vqa}_test.json "$data"/fashion-mnist/caption_train.json \
      "$data"/fashion-mnist/{caption,vqa}_train_10k.json "$data"/synthetic-video/caption_{train,test}.json \
      "$data"/video-downstream/{qa,caption}_{train,test}.json "$data"/wordnet.json "$data"/tokenizer.model \
      "$data"/cache "$data"/study-video-cache | xz -T2 -6 > "$bundle"
  # The studies' bundle, for later calls (with the model's parts beside it): the downstream data only.
  tar cf - "$data"/fashion-mnist/{caption,vqa}_{test,train_10k}.json "$data"/video-downstream/{qa,caption}_{train,test}.json \
      "$data"/study-fm-cache "$data"/study-video-cache | xz -T2 -6 > "${bundle%.tar.xz}-studies.tar.xz"
  ls -l "$bundle" "${bundle%.tar.xz}-studies.tar.xz"
  ls -l "$bundle"
}

# How many of the recipe's steps (at most its train.steps) fit in SECONDS on this machine, so that the
# cosine schedule runs to its end rather than being cut: 60 probe steps, timed between steps 20 and 60.
probe_steps() {
  local device=$1 seconds=$2 log=runs/pretrain-probe.log
  shift 2
  rm -rf runs/pretrain-probe
  mkdir -p runs
  "$vltune" train recipes/pretrain/base-vlm.yaml --set model.device="$device" --set data.cache="$data/cache" \
    --set train.steps=1000 --set output.dir=../../runs/pretrain-probe --set output.save_every=0 \
    --set output.log_every=20 "$@" > "$log" 2>&1 &
  local pid=$! t20="" t60=""
  for _ in $(seq 600); do
    [ -n "$t20" ] || ! grep -q "step 20/" "$log" || t20=$(date +%s.%N)
    [ -n "$t60" ] || ! grep -q "step 60/" "$log" || t60=$(date +%s.%N)
    [ -z "$t60" ] && kill -0 "$pid" 2> /dev/null || break
    sleep 0.2
  done
  kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
  rm -rf runs/pretrain-probe
  local most
  most=$(sed -n 's/^  steps: \([0-9]*\).*/\1/p' recipes/pretrain/base-vlm.yaml)
  [ -n "$t60" ] || { echo "== the probe did not reach step 60:" >&2; tail -5 "$log" >&2; echo "$most"; return; }
  python3 -c "import sys; per = ($t60 - $t20) / 40; n = int(min($most, $seconds / per) // 50 * 50); print(max(n, 300))
print(f'== probe: {per * 1000:.0f} ms per step; {n} steps fit in $seconds s', file=sys.stderr)"
}

train() {
  local out=$1 device=${DEVICE:-cpu}
  shift
  mkdir -p "$out"
  [ -d "$data/cache" ] || xz -dc "$bundle" | tar xf -
  python3 tools/cache_placeholders.py "$data/cache" "$data/study-video-cache"
  local seconds=${TRAIN_SECONDS:-$((${LIMIT:-540} - ($(date +%s) - start) - 180))}
  local steps=${STEPS:-$(probe_steps "$device" $((seconds - 60)) "$@")}
  seconds=$((${LIMIT:-540} - ($(date +%s) - start) - 150))
  echo "== pretraining $steps steps (at most $seconds s) on $device"
  rm -rf runs/pretrain-base-vlm
  timeout "$seconds" "$vltune" train recipes/pretrain/base-vlm.yaml --set model.device="$device" \
    --set data.cache="$data/cache" --set train.steps="$steps" "$@" > "$out/pretrain.full.log" 2>&1 ||
    echo "== training stopped: status $?"
  tail -200 "$out/pretrain.full.log" > "$out/pretrain.log" && rm "$out/pretrain.full.log"
  cp runs/pretrain-base-vlm/summary.json "$out/pretrain-summary.json" 2>/dev/null || echo "== no summary: the run did not finish"
  rm -rf models/base-vlm.new
  "$vltune" export runs/pretrain-base-vlm --merged models/base-vlm.new
  cp "$data/tokenizer.model" models/base-vlm.new/tokenizer.model
  rm -rf models/base-vlm && mv models/base-vlm.new models/base-vlm
  du -sh models/base-vlm
  local scores="{"
  for task in image-vqa image-captioning video-qa video-captioning; do
    "$vltune" eval recipes/pretrain/base-eval/$task.yaml --base --set model.device="$device" \
      --set eval.max_samples="${EVAL_SAMPLES:-0}" > "$out/$task.json" 2> "$out/$task.log" ||
      { tail -5 "$out/$task.log"; echo '{"error": "eval failed"}' > "$out/$task.json"; }
    scores+="$([ "$scores" = "{" ] || echo ,)\"$task\": $(cat "$out/$task.json")"
    rm "$out/$task.json" "$out/$task.log"
  done
  echo "$scores}" > "$out/base-eval.json"
  cat "$out/base-eval.json"
  tar czf - -C models base-vlm | split -b 15M - "$out/base-vlm.tar.gz.part-"
  echo "== $(($(date +%s) - start)) s in all"
}

case "$mode" in
  prep) prep ;;
  gpu)
    out=${3:?OUT}
    shift 3
    mkdir -p "$out"
    source tools/gpu_build.sh
    GPU_CMAKE_ARGS=-DVLTUNE_BUILD_TESTS=OFF gpu_build build-cuda vltune vltune-sentencepiece > "$out/build.log" || {
      cat "$out/build.log"; exit 1; }
    rm "$out/build.log"
    echo "== built in $(($(date +%s) - start)) s"
    vltune=build-cuda/cli/vltune
    DEVICE=cuda train "$out" "$@"
    ;;
  train)
    out=${3:?OUT}
    shift 3
    train "$out" "$@"
    ;;
  *) echo "usage: bash tools/build_base.sh prep BUNDLE | gpu BUNDLE OUT | train BUNDLE OUT" >&2; exit 2 ;;
esac
