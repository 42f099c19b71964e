#include "training/recipe_schema.h"

#include <limits>

namespace vltune::training {

const std::vector<SchemaKey>& recipe_schema() {
  using T = KeyType;
  static const std::vector<SchemaKey> keys = {
      {"extends", T::kString, "", {}, "a recipe this one builds on (path relative to this file); its keys are the defaults"},
      {"model.path", T::kString, "", {}, "Hugging Face model folder (relative to the recipe)", true},
      {"model.dtype", T::kEnum, "float32", {"float32", "bfloat16", "float16"}, "dtype of the frozen backbone"},
      {"model.device", T::kString, "cpu", {}, "cpu or cuda[:N]"},
      {"model.tokenizer", T::kString, "", {}, "a tokenizer.json or tokenizer.model (default: the model folder's)"},
      {"model.init", T::kEnum, "pretrained", {"pretrained", "random"}, "random: build from config.json with fresh weights (pretraining from scratch)"},
      {"adapters", T::kMap, "", {}, "where adapters go: a preset and/or rules (docs/adapters.md)", true},
      {"data.train", T::kMap, "", {}, "the training dataset (format, path, media_root, allow_media_from, fields, prompt: docs/datasets.md), or a list of them", true},
      {"data.eval", T::kMap, "", {}, "the evaluation dataset(s), same keys"},
      {"data.validation", T::kFloat, "0", {}, "hold out this fraction of data.train (0 to 0.5; by a hash of each sample's id, the same samples in every run) and evaluate on it instead of data.eval (0: off)"},
      {"data.template", T::kEnum, "auto", {"auto", "plain", "llava_v1", "llama2", "chatml"}, "chat template (auto: the model folder's, else llava_v1)"},
      {"data.max_length", T::kInt, "2048", {}, "tokens per sample, visual tokens included"},
      {"data.packing", T::kBool, "false", {}, "training packs each micro-batch's samples into rows of at most max_length tokens, each attending only to itself"},
      {"data.truncation", T::kEnum, "drop", {"drop", "error"}, "what happens to a sample whose visual tokens would be cut"},
      {"data.on_bad_sample", T::kEnum, "skip", {"skip", "error"}, "missing, corrupt or malformed samples: skip with a warning, or stop"},
      {"data.num_frames", T::kInt, "8", {}, "frames sampled uniformly from each clip (0: use fps)"},
      {"data.fps", T::kFloat, "0", {}, "frames per second to sample when num_frames is 0 (training then needs temporal: mean)"},
      {"data.max_frames", T::kInt, "32", {}, "at most this many frames per clip"},
      {"data.min_pixels", T::kInt, "0", {}, "patch-layout models (Qwen2-VL): the fewest pixels an image is resized to (0: the model folder's)"},
      {"data.max_pixels", T::kInt, "0", {}, "patch-layout models: the most pixels an image or frame is resized to (0: the model folder's)"},
      {"data.spatial_pool", T::kInt, "1", {}, "average-pool each frame's patch grid by this factor"},
      {"data.temporal", T::kEnum, "concat", {"concat", "mean"}, "how frames' tokens combine"},
      {"data.workers", T::kInt, "2", {}, "loader worker threads"},
      {"data.prefetch", T::kInt, "8", {}, "samples prepared ahead of the trainer"},
      {"data.cache", T::kString, "", {}, "a prepared media cache (vltune prepare) to read pixels from"},
      {"train.epochs", T::kFloat, "1", {}, "passes over the training data (ignored when steps is set)"},
      {"train.steps", T::kInt, "0", {}, "optimizer steps (0: from epochs)"},
      {"train.batch_size", T::kInt, "8", {}, "samples per micro-batch"},
      {"train.grad_accum", T::kInt, "1", {}, "micro-batches per optimizer step"},
      {"train.lr", T::kFloat, "1e-4", {}, "peak learning rate"},
      {"train.lr_scale.vision", T::kFloat, "1", {}, "learning-rate multiplier for the vision tower's adapters"},
      {"train.lr_scale.projector", T::kFloat, "1", {}, "learning-rate multiplier for the projector's adapters"},
      {"train.lr_scale.language", T::kFloat, "1", {}, "learning-rate multiplier for the decoder's (and lm_head's) adapters"},
      {"train.schedule", T::kEnum, "cosine", {"cosine", "linear", "constant"}, "learning-rate schedule after warm-up"},
      {"train.warmup_steps", T::kInt, "0", {}, "linear warm-up steps"},
      {"train.weight_decay", T::kFloat, "0", {}, "AdamW weight decay (never on magnitudes or biases)"},
      {"train.clip_grad_norm", T::kFloat, "1.0", {}, "global gradient-norm clipping (0: off)"},
      {"train.seed", T::kInt, "0", {}, "seed for initialisation, shuffling and dropout"},
      {"train.gradient_checkpointing", T::kBool, "false", {}, "recompute decoder and vision layers in backward"},
      {"train.precision", T::kEnum, "fp32", {"fp32", "bf16"}, "bf16 keeps the backbone in bf16, adapter masters in fp32"},
      {"eval.every", T::kInt, "0", {}, "evaluate every N optimizer steps (0: at the end only)"},
      {"eval.metrics", T::kList, "[loss]", {}, "any of loss, perplexity, exact_match, vqa_accuracy, bleu4, rouge_l, cider_d"},
      {"eval.max_samples", T::kInt, "0", {}, "evaluate on at most this many samples (0: all)"},
      {"eval.batch_size", T::kInt, "0", {}, "samples per evaluation batch (0: train.batch_size)"},
      {"eval.max_new_tokens", T::kInt, "32", {}, "generation length for text metrics"},
      {"eval.strategy", T::kEnum, "greedy", {"greedy", "beam", "sample"}, "generation strategy"},
      {"eval.num_beams", T::kInt, "4", {}, "beams for beam search"},
      {"eval.temperature", T::kFloat, "1.0", {}, "sampling temperature"},
      {"eval.top_p", T::kFloat, "1.0", {}, "nucleus sampling mass"},
      {"distributed.backend", T::kEnum, "auto", {"auto", "gloo", "nccl"}, "c10d backend under torchrun or srun (auto: NCCL on CUDA, Gloo on the CPU)"},
      {"distributed.timeout", T::kFloat, "600", {}, "seconds a collective may wait for the other ranks before the job stops naming them"},
      {"output.dir", T::kString, "runs/NAME", {}, "run folder (relative to the recipe that sets it; --set: to the current directory)"},
      {"output.keep_last", T::kInt, "3", {}, "checkpoints kept"},
      {"output.save_every", T::kInt, "0", {}, "checkpoint every N optimizer steps (0: at the end)"},
      {"output.log_every", T::kInt, "10", {}, "log every N optimizer steps"},
  };
  return keys;
}

const std::vector<KeyBounds>& recipe_bounds() {
  constexpr double kMany = 1e15;
  static const std::vector<KeyBounds> bounds = {
      {"data.max_length", 1, 1e7, "1 to 10 million tokens"},
      {"data.validation", 0, 0.5, "0 (off) to 0.5, the fraction of data.train held out"},
      {"data.num_frames", 0, 1024, "0 to 1024 frames"},
      {"data.fps", 0, 1000, "0 to 1000 frames per second"},
      {"data.max_frames", 1, 1024, "1 to 1024 frames"},
      {"data.min_pixels", 0, 1e8, "0 to 100 million pixels"},
      {"data.max_pixels", 0, 1e8, "0 to 100 million pixels"},
      {"data.spatial_pool", 1, 64, "1 to 64"},
      {"data.workers", 0, 256, "0 to 256 threads"},
      {"data.prefetch", 0, 1e5, "0 to 100000 samples"},
      {"train.epochs", 0, 1e6, "0 to a million passes"},
      {"train.steps", 0, kMany, "0 or more"},
      {"train.batch_size", 1, 1e6, "at least 1"},
      {"train.grad_accum", 1, 1e6, "at least 1"},
      {"train.lr", 0, 1e30, "0 to 1e30"},  // times lr_scale (at most 1e6), still a finite float
      {"train.lr_scale.vision", 0, 1e6, "0 or more"},
      {"train.lr_scale.projector", 0, 1e6, "0 or more"},
      {"train.lr_scale.language", 0, 1e6, "0 or more"},
      {"train.warmup_steps", 0, kMany, "0 or more"},
      {"train.weight_decay", 0, 1e6, "0 or more"},
      {"train.clip_grad_norm", 0, kMany, "0 (off) or more"},
      {"train.seed", 0, kMany, "0 or more"},
      {"eval.every", 0, kMany, "0 or more"},
      {"eval.max_samples", 0, kMany, "0 or more"},
      {"eval.batch_size", 0, 1e6, "0 or more"},
      {"eval.max_new_tokens", 1, 1e6, "1 to a million tokens"},
      {"eval.num_beams", 1, 1024, "1 to 1024"},
      {"eval.temperature", 0, 1e6, "0 or more"},
      {"eval.top_p", 0, 1, "0 to 1"},
      {"distributed.timeout", 1, 1e6, "1 to a million seconds"},
      {"output.keep_last", 0, 1e6, "0 (all) or more"},
      {"output.save_every", 0, kMany, "0 or more"},
      {"output.log_every", 0, kMany, "0 or more"},
  };
  return bounds;
}

}  // namespace vltune::training
