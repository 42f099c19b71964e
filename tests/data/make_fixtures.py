#!/usr/bin/env python3
"""Golden fixtures for vltune, made with HF transformers (needs transformers>=5, torch, safetensors).

    python3 tests/data/make_fixtures.py OUT_DIR

Writes OUT_DIR/<fixture>/ for hf-tiny-llava-siglip-qwen2, hf-tiny-llava-clip-mistral, hf-tiny-llama3-text:
  base/ (save_pretrained: config.json + model.safetensors), inputs.safetensors, expected.safetensors, README.json.
fp32 math on CPU, eager attention, seeded random weights: they test exactness, not quality. Besides the
config's init (initializer_range 0.2), every 1-D parameter (biases, norm weights) gets N(0, 0.1) added and the
llava projector's matrices are drawn N(0, 0.2), so that a loader which drops a bias or a norm weight is caught.
"""
import json, platform, sys
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import (CLIPVisionConfig, LlamaConfig, LlamaForCausalLM, LlavaConfig, LlavaForConditionalGeneration,
                          MistralConfig, PreTrainedModel, Qwen2Config, SiglipVisionConfig)

if int(transformers.__version__.split(".")[0]) < 5:
    sys.exit(f"make_fixtures.py needs transformers>=5 (found {transformers.__version__})")

VOCAB, IMG_TOK, BOS, PAD, STD = 300, 299, 1, 0, 0.2
TEXT = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, initializer_range=STD,
            bos_token_id=BOS, eos_token_id=2)
ROPE_DEFAULT = {"rope_type": "default", "rope_theta": 10000.0}
# original_max_position_embeddings 64 (not 16) so that with head_dim 16 / theta 5e5 the three llama3 bands are
# all hit: pair 0 (wavelen 6.3 < 64/4) unchanged, pair 1 (32.4) smoothed, pairs 2..7 (> 64/1) divided by factor.
ROPE_LLAMA3 = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}


def check(name, t, min_std=1e-2):
    """Fail loudly on non-finite or trivially small tensors; print a one-line summary."""
    if not torch.isfinite(t).all():
        raise RuntimeError(f"{name}: non-finite values")
    std = t.float().std().item()
    if std < min_std:
        raise RuntimeError(f"{name}: std {std:.3g} < {min_std}: outputs look trivially small")
    print(f"    {name:<22} {str(tuple(t.shape)):<16} std {std:.4f}  absmax {t.abs().max().item():.4f}")


def sub(model, name):  # transformers 5 nests llava parts under model.model; older versions did not
    for root in (getattr(model, "model", None), model):
        if isinstance(getattr(root, name, None), torch.nn.Module):
            return getattr(root, name)
    raise AttributeError(name)


def build(cls, config, seed, tied):
    config._attn_implementation = "eager"  # the setter propagates to sub-configs
    torch.manual_seed(seed)
    model = cls(config).float()
    if any(m.config._attn_implementation != "eager" for m in model.modules() if isinstance(m, PreTrainedModel)):
        model.set_attn_implementation("eager")
    bad = [type(m).__name__ for m in model.modules()
           if isinstance(m, PreTrainedModel) and m.config._attn_implementation != "eager"]
    if bad:
        raise RuntimeError(f"eager attention not set on {bad}")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "multi_modal_projector" in name and p.ndim == 2:
                p.normal_(0.0, STD)
        for p in model.parameters():  # tied parameters are listed once
            if p.ndim == 1:
                p.add_(0.1 * torch.randn_like(p))
    is_tied = model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    if is_tied != tied:
        raise RuntimeError(f"lm_head tied={is_tied}, wanted {tied}")
    return model.eval()


def llava_inputs(n_img, seed):
    """BOS, n_img image tokens, 12 text tokens; row 1 right-padded (4 pads)."""
    g = torch.Generator().manual_seed(seed)
    text = torch.randint(3, IMG_TOK, (2, 12), generator=g)
    ids = torch.cat([torch.full((2, 1), BOS), torch.full((2, n_img), IMG_TOK), text], dim=1)
    mask = torch.ones_like(ids)
    ids[1, -4:], mask[1, -4:] = PAD, 0
    labels = ids.masked_fill((ids == IMG_TOK) | (mask == 0), -100)
    return dict(input_ids=ids, attention_mask=mask, labels=labels,
                pixel_values=torch.randn(2, 3, 30, 30, generator=g))


def text_inputs(seed):
    """[2, 20]: BOS + 19 text tokens; row 1 left-padded (3 pads, then BOS + 16 text tokens)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, IMG_TOK, (2, 20), generator=g)
    mask = torch.ones_like(ids)
    ids[0, 0], ids[1, 3] = BOS, BOS
    ids[1, :3], mask[1, :3] = PAD, 0
    return dict(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100))


def make(out_dir, name, model, inputs, highlights, llava=None):
    d = Path(out_dir) / name
    (d / "base").mkdir(parents=True, exist_ok=True)
    print(f"== {name}")
    facts, exp = {}, {}
    with torch.no_grad():
        out = model(**inputs)
        logits, labels = out.logits, inputs["labels"]
        check("base_logits", logits, min_std=0.1)
        ref = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), labels[:, 1:].reshape(-1), ignore_index=-100)
        if not torch.allclose(out.loss, ref, rtol=1e-5, atol=1e-6):
            raise RuntimeError(f"loss {out.loss.item()} != shifted mean cross-entropy {ref.item()}")
        exp["base_logits"], exp["base_loss"] = logits, out.loss.reshape(1)
        if "sliding_window" in highlights:  # the window must really mask something at this length
            lm_cfg = sub(model, "language_model").config
            window, lm_cfg.sliding_window = lm_cfg.sliding_window, None
            full_attn = model(**inputs).logits
            lm_cfg.sliding_window = window
            facts["sliding_window_max_logit_change"] = (full_attn - logits).abs().max().item()
            if facts["sliding_window_max_logit_change"] < 1e-3:
                raise RuntimeError("the sliding window changes nothing: check the config")
        if llava:
            layer, strategy = llava
            res = model.get_image_features(pixel_values=inputs["pixel_values"], vision_feature_layer=layer,
                                           vision_feature_select_strategy=strategy)
            feats = getattr(res, "pooler_output", res)  # v5: BaseModelOutputWithPooling, a list per image
            feats = feats if torch.is_tensor(feats) else torch.stack(list(feats))
            n_img = int((inputs["input_ids"][0] == IMG_TOK).sum())
            if tuple(feats.shape) != (2, n_img, 64):
                raise RuntimeError(f"image_features shape {tuple(feats.shape)}, wanted (2, {n_img}, 64)")
            ih = getattr(out, "image_hidden_states", None)
            if torch.is_tensor(ih) and ih.numel() == feats.numel() and not torch.allclose(ih.view_as(feats), feats):
                raise RuntimeError("forward's image_hidden_states differ from get_image_features")
            # Re-derive the features by hand, to pin down which vision output the projector sees.
            vo = sub(model, "vision_tower")(inputs["pixel_values"], output_hidden_states=True, return_dict=True)
            sel = vo.hidden_states[layer]
            sel = sel[:, 1:] if strategy == "default" else sel
            if not torch.allclose(sub(model, "multi_modal_projector")(sel), feats, atol=1e-6):
                raise RuntimeError("projector(vision hidden_states[layer]) != image_features")
            check("image_features", feats)
            check("vision_selected", sel)
            exp["image_features"], exp["vision_selected"] = feats, sel
            if vo.pooler_output is None:
                raise RuntimeError("the vision tower returned no pooler_output")
            check("vision_pooled", vo.pooler_output)  # CLIP: post-LN CLS; SigLIP: attention-pooling head
            exp["vision_pooled"] = vo.pooler_output
            facts.update(n_image_tokens=n_img, vision_hidden_states_count=len(vo.hidden_states),
                         vision_hidden_states_last_equals_last_hidden_state=bool(
                             torch.equal(vo.hidden_states[-1], vo.last_hidden_state)))
        else:
            rot = model.model.rotary_emb
            exp["rope_inv_freq"] = rot.inv_freq.float()
            facts.update(rope_type=str(rot.rope_type), rope_attention_scaling=float(rot.attention_scaling))
            print(f"    rope_inv_freq          {[round(v, 6) for v in rot.inv_freq.tolist()]}")
    model.save_pretrained(d / "base")
    weights = d / "base" / "model.safetensors"
    if not weights.is_file():
        raise RuntimeError(f"{weights} not written (sharded or other format?)")
    reloaded = type(model).from_pretrained(d / "base", attn_implementation="eager", dtype=torch.float32).eval()
    with torch.no_grad():
        diff = (reloaded(**inputs).logits - logits).abs().max().item()
    if diff > 1e-5:
        raise RuntimeError(f"reloaded checkpoint gives other logits (max abs diff {diff})")
    with safe_open(str(weights), framework="pt") as f:
        keys = {k: list(f.get_slice(k).get_shape()) for k in sorted(f.keys())}
    save_file({k: v.contiguous() for k, v in inputs.items()}, str(d / "inputs.safetensors"))
    save_file({k: v.detach().float().contiguous() for k, v in exp.items()}, str(d / "expected.safetensors"))
    info = {
        "generator": "tests/data/make_fixtures.py", "transformers": transformers.__version__,
        "torch": torch.__version__, "python": platform.python_version(), "layout": "transformers-5",
        "model_class": type(model).__name__, "math": "fp32, CPU, eager attention, model.eval()",
        "init": "seeded random: config init (text initializer_range 0.2), projector matrices N(0,0.2), "
                "every 1-D parameter (bias, norm weight) + N(0,0.1)",
        "config": highlights, "facts": dict(facts, tied_lm_head=highlights.get("tie_word_embeddings", False),
                                            lm_head_in_file=any(k.endswith("lm_head.weight") for k in keys),
                                            reload_max_abs_diff=diff),
        "inputs": {k: [list(v.shape), str(v.dtype)[6:]] for k, v in inputs.items()},
        "expected": {k: list(v.shape) for k, v in exp.items()},
        "notes": [
            "input_ids: BOS 1, pad 0, image token 299 (llava); labels = input_ids, -100 on padding and image tokens.",
            "position_ids are not passed: HF uses 0..L-1 for every row, the left-padded row included.",
            "base_logits = model(**inputs).logits; compare only where attention_mask == 1 (pad rows are undefined).",
            "base_loss = model(**inputs).loss: mean cross-entropy, logits[:, :-1] vs labels[:, 1:], labels != -100.",
            "image_features = get_image_features(pixel_values, vision_feature_layer, vision_feature_select_strategy), "
            "stacked per image; vision_selected = vision_tower(..., output_hidden_states=True).hidden_states[layer] "
            "(CLS dropped for 'default'), the projector input.",
            "vision_hidden_states_last_equals_last_hidden_state false: hidden_states[-1] is taken before "
            "post_layernorm (SigLIP); post_layernorm and the SigLIP head are in the file but unused by llava.",
            "rope_inv_freq (text fixture) = model.model.rotary_emb.inv_freq.",
        ],
        "tolerances": "logits/features 1e-4 max abs; loss 1e-5 relative",
        "weights": keys,
    }
    (d / "README.json").write_text(json.dumps(info, indent=1) + "\n")
    for p in sorted(d.rglob("*")):
        if p.is_file():
            print(f"    wrote {p} ({p.stat().st_size} bytes)")


def main(out_dir):
    # 1. SigLIP vision (no CLS, 'full' = 25 patches, last layer) + Qwen2 (qkv bias, tied lm_head).
    vis = SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                             num_channels=3, image_size=30, patch_size=6, hidden_act="gelu_pytorch_tanh",
                             layer_norm_eps=1e-6)
    txt = Qwen2Config(**TEXT, tie_word_embeddings=True, rope_parameters=dict(ROPE_DEFAULT))
    cfg = LlavaConfig(vision_config=vis, text_config=txt, image_token_index=IMG_TOK, vision_feature_layer=-1,
                      vision_feature_select_strategy="full", multimodal_projector_bias=False, image_seq_length=25,
                      tie_word_embeddings=True)
    hl = dict(vision="siglip_vision_model hidden 32, 3 layers, 4 heads, mlp 64, image 30, patch 6 "
                     "(25 patches, no CLS), gelu_pytorch_tanh, layernorm eps 1e-6, default vision_use_head",
              text="qwen2 hidden 64, 2 layers, 4 heads, 2 kv heads, mlp 128, vocab 300, q/k/v bias, rms eps 1e-6",
              rope=ROPE_DEFAULT, vision_feature_layer=-1, vision_feature_select_strategy="full",
              multimodal_projector_bias=False, projector_hidden_act="gelu", image_token_index=IMG_TOK,
              tie_word_embeddings=True)
    make(out_dir, "hf-tiny-llava-siglip-qwen2", build(LlavaForConditionalGeneration, cfg, 1001, tied=True),
         llava_inputs(25, 2001), hl, llava=(-1, "full"))

    # 2. CLIP vision (CLS dropped, layer -2) + Mistral with a sliding window of 8 (masks at seq len 38).
    vis = CLIPVisionConfig(hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=3,
                           num_attention_heads=4, num_channels=3, image_size=30, patch_size=6, hidden_act="quick_gelu",
                           layer_norm_eps=1e-5)
    txt = MistralConfig(**TEXT, sliding_window=8, tie_word_embeddings=False, rope_parameters=dict(ROPE_DEFAULT))
    cfg = LlavaConfig(vision_config=vis, text_config=txt, image_token_index=IMG_TOK, vision_feature_layer=-2,
                      vision_feature_select_strategy="default", image_seq_length=25, tie_word_embeddings=False)
    hl = dict(vision="clip_vision_model hidden 32, 3 layers, 4 heads, mlp 64, image 30, patch 6 (25 patches + CLS), "
                     "quick_gelu, layernorm eps 1e-5",
              text="mistral hidden 64, 2 layers, 4 heads, 2 kv heads, mlp 128, vocab 300, no bias, rms eps 1e-6",
              sliding_window=8, sliding_window_rule="query i attends keys j with i-8 < j <= i",
              rope=ROPE_DEFAULT, vision_feature_layer=-2, vision_feature_select_strategy="default",
              multimodal_projector_bias=True, projector_hidden_act="gelu", image_token_index=IMG_TOK,
              tie_word_embeddings=False)
    make(out_dir, "hf-tiny-llava-clip-mistral", build(LlavaForConditionalGeneration, cfg, 1002, tied=False),
         llava_inputs(25, 2002), hl, llava=(-2, "default"))

    # 3. Text-only Llama with Llama-3 RoPE scaling; row 1 left-padded.
    cfg = LlamaConfig(**TEXT, tie_word_embeddings=False, rope_parameters=dict(ROPE_LLAMA3))
    rp = cfg.rope_parameters
    if rp.get("rope_type") != "llama3" or any(rp.get(k) != v for k, v in ROPE_LLAMA3.items()):
        raise RuntimeError(f"LlamaConfig did not keep the llama3 rope parameters: {rp}")
    hl = dict(text="llama hidden 64, 2 layers, 4 heads, 2 kv heads (head_dim 16), mlp 128, vocab 300, no bias, "
                   "rms eps 1e-6, max_position_embeddings 256", rope=ROPE_LLAMA3, tie_word_embeddings=False)
    make(out_dir, "hf-tiny-llama3-text", build(LlamaForCausalLM, cfg, 1003, tied=False), text_inputs(2003), hl)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.set_grad_enabled(False)
    main(sys.argv[1])
