#!/usr/bin/env bash
# The Qwen2.5-VL PEFT round trip's vltune half (issue 18), run here (it needs FFmpeg for the clips):
#   bash tools/qwen_peft_bundle.sh OUT        (default OUT: runs/qwen-peft; build/cli/vltune built)
# trains DoRA for 8 steps on the tiny fixture folder tests/data/hf-tiny-qwen2_5-vl/base with
# synthetic clips, exports the run as a PEFT adapter (OUT/peft) and as a merged folder (OUT/merged),
# and writes vltune's logits on the fixture's inputs with the adapter (OUT/expected/adapted.safetensors)
# and from the merged folder (OUT/expected/merged.safetensors). On the GPU machine (transformers + PEFT),
# carrying OUT, the other half:
#   python3 tools/peft_load_check.py tests/data/hf-tiny-qwen2_5-vl/base \
#       tests/data/hf-tiny-qwen2_5-vl/inputs.safetensors OUT/peft OUT/expected
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/qwen-peft}
vltune=${VLTUNE:-build/cli/vltune}
fixture=tests/data/hf-tiny-qwen2_5-vl
rm -rf "$out"
mkdir -p "$out/expected"
"$vltune" data synthetic-video --clips 6 --frames 8 --out "$out/clips"
cat > "$out/qwen.yaml" <<YAML
# bash tools/qwen_peft_bundle.sh (tools/qwen_peft_bundle.sh writes and runs this)
model: {path: $PWD/$fixture/base}
adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}
data:
  train: {format: llava, path: clips/qa_train.json}
  template: auto
  num_frames: 4
  max_length: 256
train: {steps: 8, batch_size: 2, lr: 2e-2, schedule: constant, seed: 3}
output: {save_every: 8, log_every: 1}
YAML
"$vltune" train "$out/qwen.yaml" --run-dir "$out/run"
"$vltune" export "$out/run" --peft "$out/peft"
"$vltune" export "$out/run" --merged "$out/merged"
"$vltune" forward --model "$fixture/base" --adapter "$out/peft" --inputs "$fixture/inputs.safetensors" \
  --out "$out/expected/adapted.safetensors"
"$vltune" forward --model "$out/merged" --inputs "$fixture/inputs.safetensors" --out "$out/expected/merged.safetensors"
echo "wrote $out; on the GPU machine: python3 tools/peft_load_check.py $fixture/base $fixture/inputs.safetensors $out/peft $out/expected"
