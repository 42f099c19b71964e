#!/usr/bin/env python3
"""PEFT adapter golden fixtures for vltune (needs torch, transformers>=5, peft, safetensors).

    python3 tests/data/make_adapter_fixtures.py OUT_DIR      (run from the repo root)

Loads the tiny llava (CLIP vision + LLaMA text) from tests/data/hf-tiny-llava-clip-llama/base and its inputs
(inputs.safetensors), fp32, CPU, eager attention, and writes:
  OUT_DIR/peft-lora-mixed/  LoRA r 4, alpha 8, rsLoRA, dropout 0, target_modules (a list) q_proj, v_proj, fc1,
                            linear_1, down_proj: the CLIP tower's q/v/fc1, the projector's linear_1 and the decoder's
                            q/v/down; rank_pattern {down_proj: 2}, alpha_pattern {fc1: 4}.
  OUT_DIR/peft-vera/        VeRA r 8 on the decoder's q/v/up/down (four shapes), projection_prng_key 0,
                            save_projection, d_initial 0.1, dropout 0; plus peft_vera_source_notes.txt.
Each: adapter/ (PeftModel.save_pretrained), expected.safetensors, README.json.
expected.safetensors: adapted_logits, adapted_loss [1] (model.train(), dropout 0), grad.<PEFT parameter name> for
every trainable parameter (zeros where autograd gives none: see README.json), merged_logits (merge_and_unload(),
eval); VeRA also vera_A, vera_B (the shared projections as PEFT holds them, full max size).
Adapter weights are perturbed with a seeded generator so that the adapters are not the identity.
"""
import inspect, json, math, platform, sys
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
import peft
from peft import LoraConfig, PeftModel, VeraConfig, get_peft_model
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import LlavaForConditionalGeneration, PreTrainedModel

from make_fixtures import check  # same folder: the fixtures share one sanity check

if int(transformers.__version__.split(".")[0]) < 5:
    sys.exit(f"make_adapter_fixtures.py needs transformers>=5 (found {transformers.__version__})")

SRC = Path("tests/data/hf-tiny-llava-clip-llama")
VOCAB = 300
VERA_REGEX = r".*language_model.*\.(q_proj|v_proj|up_proj|down_proj)"
LORA_TARGETS = ["q_proj", "v_proj", "fc1", "linear_1", "down_proj"]
PROBLEMS = []  # checks whose failure should still leave the files behind for diagnosis; raised at the end




def load_base():
    model = LlavaForConditionalGeneration.from_pretrained(SRC / "base", attn_implementation="eager",
                                                          dtype=torch.float32).float()
    bad = [type(m).__name__ for m in model.modules()
           if isinstance(m, PreTrainedModel) and m.config._attn_implementation != "eager"]
    if bad:
        raise RuntimeError(f"eager attention not set on {bad}")
    return model.eval()


def masked_max_diff(a, b, mask):
    return ((a - b).abs() * mask[..., None]).max().item()


def shifted_ce(logits, labels):
    return F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), labels[:, 1:].reshape(-1), ignore_index=-100)


def safetensors_keys(path):
    with safe_open(str(path), framework="pt") as f:
        return {k: list(f.get_slice(k).get_shape()) for k in sorted(f.keys())}


def run_adapter(d, model, inputs, base_logits, mask, seed):
    """Forward/backward in train mode, save the adapter, reload check, merge. Returns (expected, facts)."""
    exp, facts = {}, {}
    # train mode, dropout 0
    model.train()
    model.zero_grad(set_to_none=True)
    out = model(**inputs)
    logits, loss = out.logits, out.loss
    ref = shifted_ce(logits.detach(), inputs["labels"])
    if not torch.allclose(loss.detach(), ref, rtol=1e-5, atol=1e-6):
        raise RuntimeError(f"loss {loss.item()} != shifted mean cross-entropy {ref.item()}")
    loss.backward()
    check("adapted_logits", logits.detach(), min_std=0.1)
    facts["adapted_vs_base_max_abs_logit_diff"] = masked_max_diff(logits.detach(), base_logits, mask)
    if facts["adapted_vs_base_max_abs_logit_diff"] < 1e-2:
        raise RuntimeError("the adapter barely changes the logits: it is close to the identity")
    exp["adapted_logits"], exp["adapted_loss"] = logits.detach(), loss.detach().reshape(1)
    print(f"    adapted_loss {loss.item():.6f}  max |adapted - base| {facts['adapted_vs_base_max_abs_logit_diff']:.4f}")
    no_grad, n = [], 0
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        n += 1
        if p.grad is None:
            no_grad.append(name)
            g = torch.zeros_like(p)
        else:
            g = p.grad.detach()
        if not torch.isfinite(g).all():
            raise RuntimeError(f"grad of {name} not finite")
        exp["grad." + name] = g
    print(f"    {n} trainable parameters, {len(no_grad)} without a gradient (stored as zeros)")
    if n == 0:
        raise RuntimeError("no trainable parameters")
    facts["params_without_grad"] = no_grad
    # eval-mode logits must equal the train-mode ones (dropout 0) and the reloaded adapter's
    model.eval()
    with torch.no_grad():
        eval_logits = model(**inputs).logits
    facts["train_vs_eval_max_abs_logit_diff"] = masked_max_diff(eval_logits, logits.detach(), mask)
    if facts["train_vs_eval_max_abs_logit_diff"] > 1e-5:
        raise RuntimeError(f"train vs eval logits differ by {facts['train_vs_eval_max_abs_logit_diff']}")
    model.save_pretrained(d / "adapter")
    for f in ("adapter_config.json", "adapter_model.safetensors"):
        if not (d / "adapter" / f).is_file():
            raise RuntimeError(f"{d / 'adapter' / f} not written")
    torch.manual_seed(seed + 7)  # from_pretrained re-initialises before loading: keep it deterministic
    reloaded = PeftModel.from_pretrained(load_base(), str(d / "adapter")).eval()
    with torch.no_grad():
        facts["reload_max_abs_logit_diff"] = masked_max_diff(reloaded(**inputs).logits, logits.detach(), mask)
    if facts["reload_max_abs_logit_diff"] > 1e-5:
        raise RuntimeError(f"reloaded adapter gives other logits ({facts['reload_max_abs_logit_diff']})")
    del reloaded
    return exp, facts


def finish_merge(exp, facts, model, inputs, mask):
    merged = model.merge_and_unload()
    merged.eval()
    with torch.no_grad():
        ml = merged(**inputs).logits
    check("merged_logits", ml, min_std=0.1)
    facts["merged_vs_adapted_max_abs_logit_diff"] = masked_max_diff(ml, exp["adapted_logits"], mask)
    if facts["merged_vs_adapted_max_abs_logit_diff"] > 1e-4:
        raise RuntimeError(f"merged logits differ from adapted by {facts['merged_vs_adapted_max_abs_logit_diff']}")
    exp["merged_logits"] = ml


def write(d, exp, info):
    save_file({k: v.detach().float().contiguous() for k, v in exp.items()}, str(d / "expected.safetensors"))
    info["expected"] = {k: list(v.shape) for k, v in exp.items()}
    (d / "README.json").write_text(json.dumps(info, indent=1) + "\n")
    for p in sorted(d.rglob("*")):
        if p.is_file():
            print(f"    wrote {p} ({p.stat().st_size} bytes)")


def common_info():
    return {"generator": "tests/data/make_adapter_fixtures.py", "transformers": transformers.__version__,
            "peft": peft.__version__, "torch": torch.__version__, "python": platform.python_version(),
            "base": "tests/data/hf-tiny-llava-clip-llama/base", "inputs": "tests/data/hf-tiny-llava-clip-llama/inputs.safetensors",
            "math": "fp32, CPU, eager attention",
            "tolerances": "logits 1e-4 max abs (compare where attention_mask == 1); loss 1e-5 relative; "
                          "gradients 1e-4 relative to each tensor's max magnitude"}


def make_lora(out_dir, inputs, base_logits, mask):
    d = Path(out_dir) / "peft-lora-mixed"
    d.mkdir(parents=True, exist_ok=True)
    print("== peft-lora-mixed")
    seed = 3101
    torch.manual_seed(seed)
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=list(LORA_TARGETS),
                     rank_pattern={"down_proj": 2}, alpha_pattern={"fc1": 4}, use_rslora=True)
    model = get_peft_model(load_base(), cfg)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():  # A and B both replaced, in named_parameters order
            if ".lora_A." in name or ".lora_B." in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    # which modules got LoRA, with their rank and scaling (rsLoRA: alpha / sqrt(r))
    modules = {}
    for name, m in model.named_modules():
        if hasattr(m, "lora_A") and "default" in getattr(m, "lora_A", {}):
            r = m.lora_A["default"].weight.shape[0]
            leaf = name.rsplit(".", 1)[-1]
            want_r = 2 if leaf == "down_proj" else 4
            alpha = 4 if leaf == "fc1" else 8
            want_scale = alpha / math.sqrt(want_r)
            if r != want_r or abs(m.scaling["default"] - want_scale) > 1e-9:
                raise RuntimeError(f"{name}: r {r}, scaling {m.scaling['default']}; wanted r {want_r}, {want_scale}")
            modules[name] = {"r": r, "alpha": alpha, "scaling": m.scaling["default"],
                             "in": m.in_features, "out": m.out_features, "bias": m.get_base_layer().bias is not None}
    leaves = sorted({n.rsplit(".", 1)[-1] for n in modules})
    n_vis = sum("vision_tower" in n for n in modules)
    n_proj = sum("multi_modal_projector" in n for n in modules)
    n_txt = sum("language_model" in n for n in modules)
    print(f"    {len(modules)} LoRA modules: vision {n_vis}, projector {n_proj}, text {n_txt}; leaves {leaves}")
    if leaves != sorted(LORA_TARGETS) or n_vis != 9 or n_proj != 1 or n_txt != 6:
        raise RuntimeError(f"unexpected LoRA targets: {sorted(modules)}")
    exp, facts = run_adapter(d, model, inputs, base_logits, mask, seed)
    finish_merge(exp, facts, model, inputs, mask)
    info = common_info()
    info.update({
        "adapter": "PEFT LoRA, rsLoRA (scaling = alpha / sqrt(r)), lora_dropout 0",
        "lora_config_args": {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "target_modules": LORA_TARGETS,
                             "rank_pattern": {"down_proj": 2}, "alpha_pattern": {"fc1": 4}, "use_rslora": True},
        "perturbation": f"every lora_A and lora_B replaced by 0.1 * randn from torch.Generator().manual_seed({seed + 1}), "
                        "in model.named_parameters() order",
        "lora_modules": modules,
        "adapter_model_keys": safetensors_keys(d / "adapter" / "adapter_model.safetensors"),
        "adapter_config": json.loads((d / "adapter" / "adapter_config.json").read_text()),
        "facts": facts,
        "notes": [
            "lora_modules: module names inside the PeftModel's wrapped model (model.named_modules() of "
            "LlavaForConditionalGeneration); adapter_model_keys: the saved file (PEFT drops '.default').",
            "adapted_logits/adapted_loss: PeftModel in train mode (dropout 0); y = W x + b + scaling * B (A x).",
            "grad.<name>: gradient of adapted_loss, names as PeftModel.named_parameters(); parameters listed in "
            "facts.params_without_grad get no gradient from autograd (their layer's output is not used: "
            "vision_feature_layer -2 skips the last CLIP layer) and are stored as zeros.",
            "merged_logits: merge_and_unload() (W += scaling * B @ A), eval mode.",
        ],
    })
    write(d, exp, info)


def kaiming_like_peft(shape, generator):
    """Our reading of PEFT's VeRA init, to verify the recipe written in the notes."""
    t = torch.empty(shape)
    fan = shape[1]  # torch.nn.init._calculate_correct_fan(t, "fan_in") for a 2-D tensor
    gain = math.sqrt(2)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    with torch.no_grad():
        return t.uniform_(-bound, bound, generator=generator)


def quote(obj, label):
    try:
        lines, start = inspect.getsourcelines(obj)
        path = inspect.getsourcefile(obj)
        path = path[path.find("peft/"):] if "peft/" in path else path
        return f"---- {label}  ({path}, lines {start}-{start + len(lines) - 1})\n" + "".join(lines) + "\n"
    except Exception as e:  # a renamed function should not lose the fixture; it is reported
        PROBLEMS.append(f"could not quote {label}: {e!r}")
        return f"---- {label}: not found in this peft ({e!r})\n\n"


def vera_notes(vera_model, layer_cls, in_max, out_max, r, saved_keys):
    import peft.tuners.vera.model as vm
    import peft.tuners.vera.layer as vl
    head = f"""VeRA in PEFT {peft.__version__} (torch {torch.__version__}): what a reimplementation must reproduce.
Quoted from the installed peft source by tests/data/make_adapter_fixtures.py (inspect.getsourcelines).
The recipe below was checked by the script against PEFT's own tensors (vera_A/vera_B bit-exact, delta weights
to 1e-6 and a forward call per layer to 1e-5).

1. Shared projections (one pair per adapter name, held by VeraModel, i.e. PeftModel.base_model):
   vera_A = base_model.vera_A["default"], vera_B = base_model.vera_B["default"]: a BufferDict (peft/tuners/_buffer_dict.py)
   keyed by adapter name, persistent = config.save_projection; saved in adapter_model.safetensors as
   {[k for k in saved_keys if 'vera_A' in k or 'vera_B' in k]} (the adapter name is dropped).
   - Size: _find_dim walks model.named_modules() and, over every targeted layer VeRA supports (nn.Linear here), takes the elementwise max of
     weight.shape = (out_features, in_features): here (out_max, in_max) = ({out_max}, {in_max}).
   - generator = torch.Generator(device="cpu").manual_seed(config.projection_prng_key)   (key 0 here)
   - draw 1: vera_A = torch.empty(r, in_max).uniform_(-bA, bA, generator=generator),  shape [{r}, {in_max}]
             bA = sqrt(3) * (sqrt(2) / sqrt(in_max))     (kaiming-uniform, a=sqrt(5) NOT used: gain sqrt(2), fan_in = size(1))
   - draw 2 (same generator, continuing): vera_B = torch.empty(out_max, r).uniform_(-bB, bB, generator=generator),
             shape [{out_max}, {r}], bB = sqrt(3) * (sqrt(2) / sqrt(r))
   - fp32, CPU, row-major fill. In LibTorch: auto g = at::make_generator<at::CPUGeneratorImpl>(key);
     torch::empty({{r, in_max}}).uniform_(-bA, bA, g) then torch::empty({{out_max, r}}).uniform_(-bB, bB, g)
     uses the same mt19937-based CPU generator as Python's torch.Generator, so it should give the same bits.
2. Per layer (trainable, PeftModel names ...<module>.vera_lambda_b.default / .vera_lambda_d.default):
   lambda_b: [out_features], initialised to zeros; lambda_d: [r], initialised to d_initial (update_layer first
   creates lambda_b = torch.ones(out) and lambda_d = torch.randn(r), the latter consuming the global RNG; then
   reset_vera_parameters overwrites both when init_weights is true).
   Saved keys: base_model.model.<module>.vera_lambda_b / .vera_lambda_d.
3. Forward (Linear.forward, not merged): A_s = vera_A[:, :in_features] ([r, in]), B_s = vera_B[:out_features, :] ([out, r])
   result = base_layer(x) + lambda_b * F.linear(lambda_d * F.linear(dropout(x), A_s), B_s)
          = W x + bias + lambda_b * ( B_s ( lambda_d * ( A_s x ) ) )
   i.e. lambda_d scales the r-dim bottleneck (after A), lambda_b scales the output features (after B). No alpha/scaling.
   Smaller layers use the top-left slice: the first in_features columns of A and the first out_features rows of B.
4. get_delta_weight: (lambda_b[:, None] * B_s) @ (lambda_d[:, None] * A_s)  -> [out, in]; merge: W += delta
   (transposed only for fan_in_fan_out / Conv1D).
5. Only vera_lambda_b / vera_lambda_d are trainable (VeraLayer.adapter_layer_names; _mark_only_adapters_as_trainable,
   now in tuners_utils, freezes the rest); vera_A / vera_B are buffers (VeraLayer.other_param_names), never trained.

"""
    parts = [head]
    parts.append(quote(vm._kaiming_init, "peft.tuners.vera.model._kaiming_init") if hasattr(vm, "_kaiming_init")
                 else quote(None, "_kaiming_init"))
    for attr in ("_find_dim", "_init_vera_A_vera_B", "_pre_injection_hook", "_mark_only_adapters_as_trainable"):
        parts.append(quote(getattr(vm.VeraModel, attr, None), f"VeraModel.{attr}"))
    for attr in ("update_layer", "reset_vera_parameters"):
        parts.append(quote(getattr(vl.VeraLayer, attr, None), f"VeraLayer.{attr}"))
    for attr in ("get_delta_weight", "forward"):
        parts.append(quote(getattr(layer_cls, attr, None), f"vera.layer.Linear.{attr}"))
    return "".join(parts)


def make_vera(out_dir, inputs, base_logits, mask):
    d = Path(out_dir) / "peft-vera"
    d.mkdir(parents=True, exist_ok=True)
    print("== peft-vera")
    seed, r = 3201, 8
    torch.manual_seed(seed)
    cfg = VeraConfig(r=r, target_modules=VERA_REGEX, projection_prng_key=0, save_projection=True, d_initial=0.1,
                     vera_dropout=0.0)
    model = get_peft_model(load_base(), cfg)
    from peft.tuners.vera.layer import Linear as VeraLinear
    vera = model.base_model
    A, B = vera.vera_A["default"].detach().clone(), vera.vera_B["default"].detach().clone()
    layers = {n: m for n, m in model.named_modules() if isinstance(m, VeraLinear)}
    shapes = {n: [m.out_features, m.in_features] for n, m in layers.items()}
    leaves = sorted({n.rsplit(".", 1)[-1] for n in layers})
    print(f"    {len(layers)} VeRA modules {leaves}; vera_A {tuple(A.shape)}, vera_B {tuple(B.shape)}")
    if len(layers) != 8 or leaves != ["down_proj", "q_proj", "up_proj", "v_proj"] or any(
            "language_model" not in n for n in layers):
        raise RuntimeError(f"unexpected VeRA targets: {sorted(layers)}")
    out_max = max(s[0] for s in shapes.values())
    in_max = max(s[1] for s in shapes.values())
    if tuple(A.shape) != (r, in_max) or tuple(B.shape) != (out_max, r):
        raise RuntimeError(f"vera_A {tuple(A.shape)} / vera_B {tuple(B.shape)}, wanted ({r},{in_max}) / ({out_max},{r})")
    if sorted({tuple(s) for s in shapes.values()}) != [(32, 64), (64, 64), (64, 128), (128, 64)]:
        raise RuntimeError(f"unexpected shapes {shapes}")
    # our reading of the draw recipe
    gen = torch.Generator(device="cpu").manual_seed(0)
    A_ours = kaiming_like_peft((r, in_max), gen)
    B_ours = kaiming_like_peft((out_max, r), gen)
    recipe_ok = torch.equal(A_ours, A) and torch.equal(B_ours, B)
    print(f"    projection recipe reproduces PEFT's vera_A/vera_B bit-exactly: {recipe_ok}")
    if not recipe_ok:
        PROBLEMS.append(f"vera_A/vera_B recipe mismatch: max diffs {(A_ours - A).abs().max().item()}, "
                        f"{(B_ours - B).abs().max().item()}")
    # perturb lambdas (lambda_b starts at 0, lambda_d at d_initial)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".vera_lambda_b." in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif ".vera_lambda_d." in name:
                p.copy_(0.1 + 0.5 * torch.randn(p.shape, generator=g))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    if len(trainable) != 16 or any("vera_lambda_" not in n for n in trainable):
        raise RuntimeError(f"unexpected trainable parameters {trainable}")
    # forward/delta formula check against our reading
    with torch.no_grad():
        gx = torch.Generator().manual_seed(seed + 2)
        for n, m in layers.items():
            lb, ld = m.vera_lambda_b["default"], m.vera_lambda_d["default"]
            As, Bs = A[:, :m.in_features], B[:m.out_features, :]
            delta = (lb[:, None] * Bs) @ (ld[:, None] * As)
            dd = (m.get_delta_weight("default") - delta).abs().max().item()
            x = torch.randn(3, m.in_features, generator=gx)
            y_ours = F.linear(x, m.get_base_layer().weight, m.get_base_layer().bias) + lb * ((ld * (x @ As.T)) @ Bs.T)
            dy = (m(x) - y_ours).abs().max().item()
            if dd > 1e-6 or dy > 1e-5:
                PROBLEMS.append(f"{n}: VeRA formula mismatch (delta {dd}, forward {dy})")
    exp, facts = run_adapter(d, model, inputs, base_logits, mask, seed)
    facts["projection_recipe_verified"] = recipe_ok
    exp["vera_A"], exp["vera_B"] = A, B
    saved = safetensors_keys(d / "adapter" / "adapter_model.safetensors")
    notes = vera_notes(vera, VeraLinear, in_max, out_max, r, saved)
    finish_merge(exp, facts, model, inputs, mask)
    (d / "peft_vera_source_notes.txt").write_text(notes)
    sf = load_file(str(d / "adapter" / "adapter_model.safetensors"))
    saved_A = [v for k, v in sf.items() if "vera_A" in k]
    if len(saved_A) != 1 or not torch.equal(saved_A[0], A):
        PROBLEMS.append("adapter_model.safetensors does not hold vera_A equal to the in-memory one")
    info = common_info()
    info.update({
        "adapter": "PEFT VeRA",
        "vera_config_args": {"r": r, "target_modules": VERA_REGEX, "projection_prng_key": 0, "save_projection": True,
                             "d_initial": 0.1, "vera_dropout": 0.0},
        "perturbation": f"vera_lambda_b = 0.5 * randn, vera_lambda_d = 0.1 + 0.5 * randn, from "
                        f"torch.Generator().manual_seed({seed + 1}), in model.named_parameters() order",
        "vera_modules": shapes,
        "vera_A_shape": list(A.shape), "vera_B_shape": list(B.shape),
        "projection_recipe": [
            "(out_max, in_max) = elementwise max of weight.shape over the targeted nn.Linear modules",
            "generator = torch.Generator(device='cpu').manual_seed(projection_prng_key)",
            "vera_A = torch.empty(r, in_max).uniform_(-b, b, generator=generator), b = sqrt(3) * sqrt(2) / sqrt(in_max)  (drawn first)",
            "vera_B = torch.empty(out_max, r).uniform_(-b, b, generator=generator), b = sqrt(3) * sqrt(2) / sqrt(r)  (drawn second, same generator)",
        ],
        "forward": "y = W x + bias + lambda_b * (B[:out, :] @ (lambda_d * (A[:, :in] @ x))); "
                   "delta_W = (lambda_b[:, None] * B[:out, :]) @ (lambda_d[:, None] * A[:, :in])",
        "adapter_model_keys": saved,
        "adapter_config": json.loads((d / "adapter" / "adapter_config.json").read_text()),
        "facts": facts,
        "notes": [
            "vera_A/vera_B in expected.safetensors: PeftModel.base_model.vera_A['default'] / vera_B['default'] "
            "(full max-size matrices, before any slicing); see peft_vera_source_notes.txt.",
            "adapted_logits/adapted_loss: train mode (dropout 0); grad.<name>: gradient of adapted_loss for each "
            "vera_lambda_b / vera_lambda_d (names as PeftModel.named_parameters()).",
            "merged_logits: merge_and_unload(), eval mode.",
        ],
    })
    write(d, exp, info)


def main(out_dir):
    inputs = load_file(str(SRC / "inputs.safetensors"))
    if tuple(inputs["input_ids"].shape) != (2, 38) or tuple(inputs["pixel_values"].shape) != (2, 3, 30, 30):
        raise RuntimeError(f"unexpected inputs {[(k, tuple(v.shape)) for k, v in inputs.items()]}")
    inputs["pixel_values"] = inputs["pixel_values"].float()
    mask = inputs["attention_mask"].float()
    base = load_base()
    with torch.no_grad():
        base_logits = base(**inputs).logits
    ref = load_file(str(SRC / "expected.safetensors"))["base_logits"]
    diff = masked_max_diff(base_logits, ref, mask)
    print(f"base logits vs hf-tiny-llava-clip-llama/expected.safetensors: max abs diff {diff:.3g}")
    if diff > 1e-4:
        raise RuntimeError(f"the base model does not reproduce the stored base_logits ({diff})")
    del base
    make_lora(out_dir, inputs, base_logits, mask)
    make_vera(out_dir, inputs, base_logits, mask)
    if PROBLEMS:
        raise RuntimeError("files written, but checks failed:\n  " + "\n  ".join(PROBLEMS))
    print("all checks passed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
