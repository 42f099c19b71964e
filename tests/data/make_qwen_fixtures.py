#!/usr/bin/env python3
"""Qwen2-VL golden fixture for vltune (issue 18), made with transformers>=5 (5.17) + PEFT (0.21) + Pillow.

    python3 tests/data/make_qwen_fixtures.py OUT_DIR      (run from the repo root; CPU math, a minute)

Writes OUT_DIR/hf-tiny-qwen2-vl/, in the layout of tests/data/hf-tiny-qwen2_5-vl:
  media/wide.png (61x100, h x w) and media/large.png (200x300): sizes that need smart_resize, with
      min_pixels 3136 and max_pixels 6272: wide -> 56x112 (rounded; grid 1x4x8), large -> 56x84 (capped; 1x4x6).
  base/  a tiny random Qwen2VLForConditionalGeneration (LayerNorm + quick-GELU tower, full attention, no
      windows; Qwen2 decoder with GQA and a tied lm_head) as save_pretrained writes it, plus the image
      processor's preprocessor_config.json.
  inputs.safetensors  a batch of two rows: row 0 holds both images (two sizes in one row), row 1 is
      left-padded and holds a video of grid 2x2x4 whose pixel_values_videos are seeded random numbers (the
      video processor's pixels are the Qwen2.5-VL fixture's concern; this one pins Qwen2-VL's time ids).
      pixel_values / image_grid_thw are what the image processor made from the two PNGs: the resize goldens.
  expected.safetensors  base_logits, base_loss, position_ids [3, 2, L] (what the decoder was given),
      image_pooler_output / image_last_hidden_state and video_pooler_output (the tower's calls in forward),
      adapted_logits, adapted_loss, grad.<PEFT name> for every DoRA parameter (r 4, alpha 8, the decoder's
      q/k/v/o/gate/up/down), merged_logits; generated_ids (greedy, 4 new tokens) when generate() runs.
  adapter/  PeftModel.save_pretrained (lora_B and magnitudes perturbed, so not the identity).
  README.json  versions, the processor class, facts, the checks' results and any warnings.
Attention is transformers' default SDPA (as in the Qwen2.5-VL fixture: a left pad with no key gets zeros).
Checks that fail are listed in README.json and raised at the end, after every file is written.
"""
import inspect, json, platform, sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import transformers
import peft
from PIL import Image
from peft import LoraConfig, get_peft_model
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

if int(transformers.__version__.split(".")[0]) < 5:
    sys.exit(f"make_qwen_fixtures.py needs transformers>=5 (found {transformers.__version__})")

NAME = "hf-tiny-qwen2-vl"
VOCAB, IMG, VID, VSTART, VEND, PAD = 320, 300, 301, 302, 303, 0
MIN_PIXELS, MAX_PIXELS = 56 * 56, 28 * 28 * 8
IMAGES = {"wide": (61, 100), "large": (200, 300)}  # name: (height, width)
WANT_GRIDS = [[1, 4, 8], [1, 4, 6]]
VIDEO_GRID = [2, 2, 4]  # 16 patches, 4 merged tokens: two time steps of one row of two tokens
LM_ALL = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
PROBLEMS, WARNINGS = [], []


def check(name, t, min_std=1e-2):
    """Non-finite values are fatal; a trivially small spread is a warning (kept in README.json)."""
    if not torch.is_tensor(t):
        raise TypeError(f"{name}: a {type(t).__name__}, not a tensor")
    if not torch.isfinite(t).all():
        raise RuntimeError(f"{name}: non-finite values")
    std = t.float().std().item() if t.numel() > 1 else abs(t.float().item())
    if std < min_std:
        WARNINGS.append(f"{name}: std {std:.3g} < {min_std}")
    print(f"    {name:<28} {str(tuple(t.shape)):<16} std {std:.4f}  absmax {t.abs().max().item():.4f}")


def expect(ok, what):
    print(f"    check: {what}: {'ok' if ok else 'FAILED'}")
    if not ok:
        PROBLEMS.append(what)


def sub(model, name):  # transformers 5 nests the parts under model.model
    for root in (getattr(model, "model", None), model):
        if isinstance(getattr(root, name, None), torch.nn.Module):
            return getattr(root, name)
    raise AttributeError(name)


def make_png(path, height, width, seed):
    """Smooth waves, a checkerboard and a sawtooth: edges and gradients that a wrong resize kernel changes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 127.5 + 127.5 * np.sin(x / 7.0 + y / 11.0)
    g = np.where(((x // 9) + (y // 9)) % 2 == 0, 40.0, 215.0)
    b = (x * 3 + y * 5) % 256
    rgb = np.stack([r, g, b], -1) + rng.normal(0, 6, (height, width, 3))
    Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8)).save(path)
    return Image.open(path).convert("RGB")  # what a reader of the PNG sees


def processor_goldens(d, base_dir):
    """The PNGs, the default (torchvision) processor's pixel_values, and facts about the PIL backend."""
    (d / "media").mkdir(parents=True, exist_ok=True)
    images = [make_png(d / "media" / f"{n}.png", h, w, 3001 + i) for i, (n, (h, w)) in enumerate(IMAGES.items())]
    size = {"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS}
    try:  # transformers 5's default backend (torchvision); Pillow's where torchvision is missing
        processor = transformers.Qwen2VLImageProcessor(size=dict(size))
        out = processor(images=images, return_tensors="pt")
    except ImportError as e:
        WARNINGS.append(f"the default image processor failed ({e!r:.200}); used Qwen2VLImageProcessorPil")
        processor = transformers.Qwen2VLImageProcessorPil(size=dict(size))
        out = processor(images=images, return_tensors="pt")
    pixels, grids = out["pixel_values"].float(), out["image_grid_thw"].long()
    facts = {"processor_class": f"{type(processor).__module__}.{type(processor).__name__}",
             "processor_size": size, "image_grid_thw": grids.tolist()}
    expect(grids.tolist() == WANT_GRIDS, f"image_grid_thw {grids.tolist()} == {WANT_GRIDS}")
    alone = [processor(images=[im], return_tensors="pt")["pixel_values"].float() for im in images]
    expect(torch.equal(torch.cat(alone), pixels), "one call for both images equals one call per image, concatenated")
    pil_cls = getattr(transformers, "Qwen2VLImageProcessorPil", None)
    if pil_cls is not None and not isinstance(processor, pil_cls):
        try:
            pil = pil_cls(size=dict(size))(images=images, return_tensors="pt")["pixel_values"].float()
            diff = (pil - pixels).abs()
            facts["pil_backend_max_abs_diff"] = diff.max().item()
            facts["pil_backend_values_differing_over_1e-5"] = int((diff > 1e-5).sum())
        except Exception as e:  # informative only
            facts["pil_backend_error"] = repr(e)[:300]
    processor.save_pretrained(base_dir)
    check("pixel_values", pixels)
    return pixels, grids, facts


def build_model():
    vision = dict(depth=3, embed_dim=32, hidden_size=64, hidden_act="quick_gelu", mlp_ratio=2, num_heads=2,
                  in_channels=3, patch_size=14, spatial_merge_size=2, temporal_patch_size=2, initializer_range=0.1)
    text = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, initializer_range=0.2,
                tie_word_embeddings=True, bos_token_id=1, eos_token_id=2,
                rope_parameters=dict(rope_type="default", rope_theta=1e6, mrope_section=[2, 3, 3]))
    cfg = Qwen2VLConfig(vision_config=vision, text_config=text, image_token_id=IMG, video_token_id=VID,
                        vision_start_token_id=VSTART, vision_end_token_id=VEND, tie_word_embeddings=True)
    cfg._attn_implementation = "sdpa"
    torch.manual_seed(1101)
    model = Qwen2VLForConditionalGeneration(cfg).float()
    with torch.no_grad():
        for p in model.parameters():  # biases and norm weights away from their init (a dropped one shows)
            if p.ndim == 1:
                p.add_(0.1 * torch.randn_like(p))
    tied = model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    expect(tied, "lm_head is tied to embed_tokens")
    return model.eval()


def batch(pixels, grids):
    """Row 0: text, image 1 (8 tokens), text, image 2 (6 tokens), text. Row 1: 5 left pads, text, video, text."""
    g = torch.Generator().manual_seed(2101)
    t = lambda n: torch.randint(3, IMG, (n,), generator=g).tolist()
    n1, n2 = (int(x.prod()) // 4 for x in grids)
    nv = VIDEO_GRID[0] * VIDEO_GRID[1] * VIDEO_GRID[2] // 4
    row0 = t(2) + [VSTART] + [IMG] * n1 + [VEND] + t(1) + [VSTART] + [IMG] * n2 + [VEND] + t(3)
    row1 = t(3) + [VSTART] + [VID] * nv + [VEND] + t(10)
    length = max(len(row0), len(row1))
    row0 = row0 + t(length - len(row0))
    pads = length - len(row1)
    ids = torch.tensor([row0, [PAD] * pads + row1])
    mask = torch.ones_like(ids)
    mask[1, :pads] = 0
    labels = ids.masked_fill((ids >= IMG) | (mask == 0), -100)
    videos = torch.randn(VIDEO_GRID[0] * VIDEO_GRID[1] * VIDEO_GRID[2], pixels.shape[1], generator=g)
    return dict(input_ids=ids, attention_mask=mask, labels=labels, pixel_values=pixels, image_grid_thw=grids,
                pixel_values_videos=videos, video_grid_thw=torch.tensor([VIDEO_GRID]))


def accepts(fn, name):
    params = inspect.signature(fn).parameters
    return name in params


def capture(model, inputs, extra):
    """One forward; returns (output, position_ids the decoder got, the tower's outputs in call order)."""
    seen, tower = {}, []

    def pre(_, args, kwargs):
        seen["position_ids"] = kwargs.get("position_ids")

    def post(_, args, kwargs, out):  # the tower's input rows (patches) with its output
        pixels = [v for v in list(args) + list(kwargs.values()) if torch.is_tensor(v) and v.is_floating_point()]
        tower.append((int(pixels[0].shape[0]) if pixels else None, out))

    h1 = sub(model, "language_model").register_forward_pre_hook(pre, with_kwargs=True)
    h2 = sub(model, "visual").register_forward_hook(post, with_kwargs=True)
    try:
        out = model(**inputs, **extra)
    finally:
        h1.remove()
        h2.remove()
    return out, seen.get("position_ids"), tower


def as_tensor(x):
    """A tensor, or a tuple/list of them (one per image) concatenated along the first axis; else None."""
    if torch.is_tensor(x):
        return x
    if isinstance(x, (tuple, list)):
        parts = [as_tensor(p) for p in x]
        parts = [p for p in parts if p is not None]
        return torch.cat([p.reshape(-1, p.shape[-1]) for p in parts]) if parts else None
    return None


def tower_parts(out):
    """(before the merger, after it): a bare tensor or tuple is the merger's output."""
    if torch.is_tensor(out) or isinstance(out, (tuple, list)):
        return None, as_tensor(out)
    last, pooled = as_tensor(getattr(out, "last_hidden_state", None)), as_tensor(getattr(out, "pooler_output", None))
    return (None, last) if pooled is None else (last, pooled)


def tower_goldens(tower, inputs, exp, facts):
    """The tower's calls in forward, split into the images' (their rows add up to pixel_values') and the video's."""
    facts["tower_calls"] = [[rows, type(out).__name__] for rows, out in tower]
    n_image_rows, parts, rows_seen = inputs["pixel_values"].shape[0], {"image": [], "video": []}, 0
    for rows, out in tower:
        parts["image" if rows_seen < n_image_rows else "video"].append(tower_parts(out))
        rows_seen += rows or 0
    for name, got in parts.items():
        lasts, pooled = [l for l, _ in got if l is not None], [p for _, p in got if p is not None]
        if pooled and len(pooled) == len(got):
            exp[f"{name}_pooler_output"] = torch.cat(pooled)
            check(f"{name}_pooler_output", exp[f"{name}_pooler_output"])
        if name == "image" and lasts and len(lasts) == len(got):
            exp["image_last_hidden_state"] = torch.cat(lasts)
            check("image_last_hidden_state", exp["image_last_hidden_state"])
    n_img, n_vid = (int((inputs["input_ids"] == t).sum()) for t in (IMG, VID))
    for key, want in [("image_pooler_output", (n_img, 64)), ("video_pooler_output", (n_vid, 64)),
                      ("image_last_hidden_state", (4 * n_img, 32))]:
        got = tuple(exp[key].shape) if key in exp else None
        expect(got == want, f"{key} is {want} (got {got})")


def base_goldens(model, inputs, extra, exp, facts):
    out, pos, tower = capture(model, inputs, extra)
    logits = out.logits
    check("base_logits", logits, min_std=0.1)
    ref = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), inputs["labels"][:, 1:].reshape(-1), ignore_index=-100)
    expect(torch.allclose(out.loss, ref, rtol=1e-5, atol=1e-6), "loss == shifted mean cross-entropy of the logits")
    exp["base_logits"], exp["base_loss"] = logits, out.loss.reshape(1)
    if torch.is_tensor(pos):
        facts["decoder_position_ids_shape"] = list(pos.shape)
        expect(pos.dim() == 3 and pos.shape[0] in (3, 4), f"the decoder's position_ids are [3 or 4, B, L]")
        pos = pos[-3:] if pos.dim() == 3 else pos  # transformers may prepend a text row (4 rows)
        exp["position_ids"] = pos.long()
        print(f"    position_ids row 0 t/h/w: {pos[:, 0].tolist()}")
    else:
        PROBLEMS.append(f"the decoder was given no position_ids tensor ({type(pos).__name__})")
    try:
        tower_goldens(tower, inputs, exp, facts)
    except Exception as e:  # the model goldens below do not depend on these
        PROBLEMS.append(f"the tower's outputs: {e!r:.300}")
    return logits


def reload_check(model, base_dir, inputs, extra, logits, facts):
    reloaded = Qwen2VLForConditionalGeneration.from_pretrained(base_dir, attn_implementation="sdpa",
                                                               dtype=torch.float32).eval()
    diff = (reloaded(**inputs, **extra).logits - logits).abs().max().item()
    facts["reload_max_abs_diff"] = diff
    expect(diff <= 1e-5, f"the saved checkpoint gives the same logits (max abs diff {diff:.3g})")
    return reloaded


def generation_golden(model, inputs, extra, exp, facts):
    gen_in = {k: v for k, v in inputs.items() if k != "labels"}
    try:
        ids = model.generate(**gen_in, **extra, max_new_tokens=4, do_sample=False, pad_token_id=PAD)
        exp["generated_ids"] = ids.long()
        facts["generated_new_tokens"] = ids[:, inputs["input_ids"].shape[1]:].tolist()
    except Exception as e:  # a golden the others do not depend on
        facts["generate_error"] = repr(e)[:300]
        WARNINGS.append("generate() failed: generated_ids not written")


def adapter_goldens(model, d, inputs, extra, exp, facts):
    torch.manual_seed(4101)
    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, use_dora=True, target_modules=LM_ALL)
    pm = get_peft_model(model, lora)
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_B" in n:
                p.normal_(0.0, 0.1)
            elif "lora_magnitude_vector" in n:
                p.mul_(1.0 + 0.1 * torch.randn_like(p))
    pm.train()
    with torch.enable_grad():
        out = pm(**inputs, **extra)
        out.loss.backward()
    check("adapted_logits", out.logits.detach(), min_std=0.1)
    exp["adapted_logits"], exp["adapted_loss"] = out.logits.detach(), out.loss.detach().reshape(1)
    grads = {f"grad.{n}": p.grad for n, p in pm.named_parameters() if p.requires_grad}
    missing = [n for n, g in grads.items() if g is None]
    expect(not missing, f"every adapter parameter has a gradient (missing: {missing[:3]})")
    exp.update({n: g for n, g in grads.items() if g is not None})
    facts["grads"] = len(grads)
    expect(len(grads) == 2 * 7 * 3, f"{len(grads)} adapter gradients == 2 layers x 7 linears x 3")
    pm.save_pretrained(d / "adapter")
    merged = pm.merge_and_unload().eval()
    with torch.no_grad():
        exp["merged_logits"] = merged(**inputs, **extra).logits
    check("merged_logits", exp["merged_logits"], min_std=0.1)


def keys_of(path):
    if not Path(path).is_file():
        return {}
    with safe_open(str(path), framework="pt") as f:
        return {k: list(f.get_slice(k).get_shape()) for k in sorted(f.keys())}


def main(out_dir):
    d = Path(out_dir) / NAME
    (d / "base").mkdir(parents=True, exist_ok=True)
    print(f"== {NAME}")
    pixels, grids, facts = processor_goldens(d, d / "base")
    model = build_model()
    inputs = batch(pixels, grids)
    mm = (inputs["input_ids"] == IMG).long() + 2 * (inputs["input_ids"] == VID).long()
    extra = {"mm_token_type_ids": mm} if accepts(model.forward, "mm_token_type_ids") else {}
    facts["mm_token_type_ids_passed"] = bool(extra)
    exp = {}
    with torch.no_grad():
        logits = base_goldens(model, inputs, extra, exp, facts)
        model.save_pretrained(d / "base")
        try:
            reloaded = reload_check(model, d / "base", inputs, extra, logits, facts)
            generation_golden(reloaded, inputs, extra, exp, facts)  # a model of its own: generate() keeps state
        except Exception as e:
            PROBLEMS.append(f"reloading base/: {e!r:.300}")
    try:
        adapter_goldens(model, d, inputs, extra, exp, facts)
    except Exception as e:  # the base goldens are still written
        PROBLEMS.append(f"the adapter goldens: {e!r:.300}")
    save_file({k: v.detach().clone().contiguous() for k, v in inputs.items()}, str(d / "inputs.safetensors"))
    save_file({k: (v.detach().float() if v.is_floating_point() else v.detach()).clone().contiguous()
               for k, v in exp.items()}, str(d / "expected.safetensors"))
    info = {
        "generator": "tests/data/make_qwen_fixtures.py", "transformers": transformers.__version__,
        "peft": peft.__version__, "torch": torch.__version__, "python": platform.python_version(),
        "model_class": "Qwen2VLForConditionalGeneration", "attention": "sdpa (transformers' default)",
        "math": "fp32, CPU", "init": "seeded: config init (text 0.2, vision 0.1), every 1-D parameter + N(0, 0.1)",
        "vision": "qwen2_vl: depth 3, embed_dim 32, 2 heads, mlp_ratio 2, quick_gelu, patch 14, temporal 2, merge 2, "
                  "merger output hidden_size 64",
        "text": "qwen2_vl_text: hidden 64, 2 layers, 4 heads, 2 kv heads, mlp 128, vocab 320, q/k/v bias, "
                "mrope_section [2, 3, 3], rope_theta 1e6, tied lm_head",
        "token_ids": {"image": IMG, "video": VID, "vision_start": VSTART, "vision_end": VEND, "pad": PAD},
        "media": {n: {"height": h, "width": w} for n, (h, w) in IMAGES.items()},
        "lora": {"r": 4, "lora_alpha": 8, "use_dora": True, "target_modules": LM_ALL},
        "facts": facts, "warnings": WARNINGS, "failed_checks": PROBLEMS,
        "inputs": {k: [list(v.shape), str(v.dtype)[6:]] for k, v in inputs.items()},
        "expected": {k: list(v.shape) for k, v in exp.items()},
        "notes": [
            "mm_token_type_ids (1 on image pads, 2 on video pads, 0 elsewhere) was passed to forward when "
            "facts.mm_token_type_ids_passed; it follows from input_ids, so inputs.safetensors does not carry it.",
            "pixel_values / image_grid_thw: the image processor (processor_class) on media/wide.png and media/large.png "
            "in that order, min_pixels 3136, max_pixels 6272 (base/preprocessor_config.json).",
            "pixel_values_videos: seeded N(0, 1), not a processor's output.",
            "labels: input_ids with -100 on padding and on ids >= 300 (vision pads, start, end).",
            "position_ids: what the decoder was given (the last three rows if transformers passed four).",
            "adapted_*: PEFT DoRA in train mode (dropout 0); merged_logits after merge_and_unload(), eval.",
        ],
        "tolerances": "logits/features 1e-4 max abs; loss 1e-5; gradients 1e-4 x each tensor's max magnitude; "
                      "pixel_values 1e-5; position ids and grids exact",
        "weights": keys_of(d / "base" / "model.safetensors"),
        "adapter_weights": keys_of(d / "adapter" / "adapter_model.safetensors"),
    }
    (d / "README.json").write_text(json.dumps(info, indent=1) + "\n")
    for p in sorted(d.rglob("*")):
        if p.is_file():
            print(f"    wrote {p} ({p.stat().st_size} bytes)")
    for w in WARNINGS:
        print(f"warning: {w}")
    if PROBLEMS:
        raise SystemExit("failed checks (files kept for diagnosis):\n  " + "\n  ".join(PROBLEMS))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.set_grad_enabled(False)
    main(sys.argv[1])
