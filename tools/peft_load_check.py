"""Checks that adapter folders written by vltune load in PEFT and give vltune's (or PEFT's own) numbers.

Run on the GPU machine (it has transformers + peft), from the repository root, after writing the
folders with `vltune adapter convert` or `vltune export --peft` (for the export of a LoRA + DoRA +
magnitude mix, tests/data/peft-export-mix holds the folder and vltune's logits):
    python3 tools/peft_load_check.py BASE_DIR INPUTS.safetensors ADAPTER_DIR EXPECTED [...]
Each ADAPTER_DIR is loaded with PeftModel.from_pretrained onto BASE_DIR (LLaVA or Qwen2.5-VL, by
its config.json's model_type) and its logits (train mode, as the fixtures' adapted_logits) are
compared with EXPECTED's; then the merged model's likewise. EXPECTED is either
  - a safetensors file with adapted_logits and merged_logits (a fixture's expected.safetensors,
    for folders written by `vltune adapter convert`, docs/adapters.md), or
  - a folder with adapted.safetensors and merged.safetensors, the `logits` of `vltune forward` with
    the adapter and of the `vltune export --merged` folder (tools/qwen_peft_bundle.sh writes it).
Logits are compared where attention_mask is 1 (a left-padded position is computed differently by
design: tests/test_qwen2_5_vl.cpp, EmptyRowChangesOnlyThePaddedPosition); tolerance 1e-4.
"""
import inspect
import json
import os
import sys
import warnings

import torch
import transformers
from peft import PeftModel
from safetensors.torch import load_file

MODEL_CLASSES = {"llava": "LlavaForConditionalGeneration", "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
                 "qwen2_vl": "Qwen2VLForConditionalGeneration"}


def expected_logits(path):
    if os.path.isdir(path):
        return (load_file(os.path.join(path, "adapted.safetensors"))["logits"],
                load_file(os.path.join(path, "merged.safetensors"))["logits"])
    expected = load_file(path)
    return expected["adapted_logits"], expected["merged_logits"]


def model_inputs(model, inputs, config):
    """The inputs the model's forward takes; Qwen's mm_token_type_ids (1 on image pads, 2 on video
    pads) derived from input_ids as the processor makes it, when this transformers takes it."""
    out = dict(inputs)
    if "mm_token_type_ids" in inspect.signature(model.forward).parameters and "image_token_id" in config:
        ids = inputs["input_ids"]
        out["mm_token_type_ids"] = (ids == config["image_token_id"]).long() + 2 * (ids == config["video_token_id"]).long()
    return out


def max_diff(logits, expected, mask):
    keep = mask.bool().unsqueeze(-1).expand_as(logits)
    return (logits - expected).abs().masked_select(keep).max().item()


base_dir, inputs_path, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
config = json.load(open(os.path.join(base_dir, "config.json")))
model_class = getattr(transformers, MODEL_CLASSES[config["model_type"]])
inputs = {k: v for k, v in load_file(inputs_path).items() if k != "labels"}
mask = inputs.get("attention_mask", torch.ones_like(inputs["input_ids"]))
failed = False
for adapter_dir, expected_path in zip(pairs[0::2], pairs[1::2]):
    expected_adapted, expected_merged = expected_logits(expected_path)
    model = model_class.from_pretrained(base_dir, attn_implementation="eager", dtype=torch.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        peft_model = PeftModel.from_pretrained(model, adapter_dir, is_trainable=True)
    peft_model.train()
    with torch.no_grad():
        adapted = peft_model(**model_inputs(model, inputs, config)).logits
        diff = max_diff(adapted, expected_adapted, mask)
        merged_model = peft_model.merge_and_unload()
        merged_model.eval()
        merged = max_diff(merged_model(**model_inputs(merged_model, inputs, config)).logits, expected_merged, mask)
    ok = diff < 1e-4 and merged < 1e-4
    failed |= not ok
    notes = sorted({str(w.message)[:120] for w in caught})
    print(f"{'ok  ' if ok else 'FAIL'} {adapter_dir}: adapted max diff {diff:.2e}, merged {merged:.2e}; warnings: {notes}")
sys.exit(1 if failed else 0)
