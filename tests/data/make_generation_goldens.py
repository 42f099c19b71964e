#!/usr/bin/env python3
"""Golden generations for tests/test_generation.cpp, made with HF transformers' generate() (needs
transformers>=5, torch, safetensors) on the fixture models of this folder.

    python3 tests/data/make_generation_goldens.py tests/data OUT.json

For each fixture, the prompt is row 0 of inputs.safetensors (unpadded) cut just past its last image
token plus 2 text tokens (the first 6 tokens for the text-only model), with its first image. Written
per fixture: the prompt length, and the new tokens (prompt and trailing EOS removed) of
  greedy       do_sample False, num_beams 1, eos 2
  beam3        num_beams 3, eos 2
  beam4_eos    num_beams 4, eos = the third greedy token (so that EOS competes)
all with max_new_tokens 6, length_penalty 1.0, early_stopping False, fp32 on CPU, eager attention.
"""
import json, sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, LlavaForConditionalGeneration

FIXTURES = ["hf-tiny-llava-clip-llama", "hf-tiny-llava-siglip-qwen2", "hf-tiny-llava-clip-mistral", "hf-tiny-llama3-text"]
IMAGE_TOKEN, MAX_NEW = 299, 6


def new_tokens(model, ids, pixels, eos, num_beams):
    kwargs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=MAX_NEW, do_sample=False,
                  num_beams=num_beams, eos_token_id=eos, pad_token_id=0, length_penalty=1.0, early_stopping=False)
    if pixels is not None:
        kwargs["pixel_values"] = pixels
    out = model.generate(**kwargs)[0, ids.shape[1]:].tolist()
    if eos in out:
        out = out[:out.index(eos)]
    return out


def main(data_dir, out_path):
    goldens = {"transformers": transformers.__version__, "torch": torch.__version__}
    for name in FIXTURES:
        d = Path(data_dir) / name
        inputs = load_file(d / "inputs.safetensors")
        row = inputs["input_ids"][0]
        images = (row == IMAGE_TOKEN).nonzero()
        length = (images.max().item() + 1 + 2) if len(images) else 6
        ids = row[:length].unsqueeze(0)
        llava = "pixel_values" in inputs
        cls = LlavaForConditionalGeneration if llava else AutoModelForCausalLM
        model = cls.from_pretrained(d / "base", attn_implementation="eager", dtype=torch.float32).eval()
        pixels = inputs["pixel_values"][:1] if llava else None
        with torch.no_grad():
            greedy = new_tokens(model, ids, pixels, 2, 1)
            entry = {"prompt_length": length, "greedy": greedy, "beam3": new_tokens(model, ids, pixels, 2, 3)}
            if len(greedy) >= 3:
                entry["beam4_eos"] = {"eos": greedy[2], "tokens": new_tokens(model, ids, pixels, greedy[2], 4)}
        goldens[name] = entry
        print(name, entry, flush=True)
    Path(out_path).write_text(json.dumps(goldens, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
