"""Checks that adapter folders written by vltune load in PEFT and give PEFT's own numbers.

Run on the GPU machine (it has transformers + peft), from the repository root, after writing the
folders with `vltune adapter convert` or `vltune export --peft` (docs/adapters.md; for the export of
a LoRA + DoRA + magnitude mix, tests/data/peft-export-mix holds the folder and vltune's logits):
    python3 tools/peft_load_check.py BASE_DIR INPUTS.safetensors ADAPTER_DIR EXPECTED.safetensors [...]
Each ADAPTER_DIR is loaded with PeftModel.from_pretrained and its logits (train mode, as the
fixtures' adapted_logits) are compared with EXPECTED's adapted_logits; merged logits likewise.
"""
import sys
import warnings

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import LlavaForConditionalGeneration

base_dir, inputs_path, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
inputs = load_file(inputs_path)
failed = False
for adapter_dir, expected_path in zip(pairs[0::2], pairs[1::2]):
    expected = load_file(expected_path)
    model = LlavaForConditionalGeneration.from_pretrained(base_dir, attn_implementation="eager", dtype=torch.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        peft_model = PeftModel.from_pretrained(model, adapter_dir, is_trainable=True)
    peft_model.train()
    with torch.no_grad():
        adapted = peft_model(**inputs).logits
        diff = (adapted - expected["adapted_logits"]).abs().max().item()
        merged_model = peft_model.merge_and_unload()
        merged_model.eval()
        merged = (merged_model(**inputs).logits - expected["merged_logits"]).abs().max().item()
    ok = diff < 1e-4 and merged < 1e-4
    failed |= not ok
    notes = sorted({str(w.message)[:120] for w in caught})
    print(f"{'ok  ' if ok else 'FAIL'} {adapter_dir}: adapted max diff {diff:.2e}, merged {merged:.2e}; warnings: {notes}")
sys.exit(1 if failed else 0)
