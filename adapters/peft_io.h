// Adapter files in PEFT's format: DIR/adapter_config.json + DIR/adapter_model.safetensors, keys
// "base_model.model.<module>.<tensor>" with <module> as transformers names it in memory
// (model.language_model.layers.0.self_attn.q_proj for LLaVA, model.layers.0... for a bare LLaMA).
//
// PEFT expresses one method per file (LoRA with use_dora, or VeRA). Sets that mix methods (the
// dora_half preset: DoRA + magnitude-only) or use ones PEFT lacks (magnitude, DVoRA, full) are
// written in the same schema plus a "vltune_methods" map {module: method}, which PEFT ignores.
#pragma once
#include <memory>
#include <string>

#include "adapters/adapter_set.h"
#include "core/checkpoint.h"

namespace vltune::adapters {

// The module-name layout PEFT files use for this model (LLaVA or text-only).
const KeyLayout& peft_layout(bool multimodal_model);

// "base_model.model.<module>.<suffix>"
std::string peft_key(const KeyLayout& layout, const std::string& module_path, const std::string& suffix);

// Reads an adapter folder onto `model` (whose linear modules it must fit) as a detached set.
std::unique_ptr<AdapterSet> load_peft_adapter(const std::string& dir, torch::nn::Module& model,
                                              bool multimodal_model, const std::string& set_name = "default");

// Writes `set` atomically into `dir` (created if needed).
void save_peft_adapter(AdapterSet& set, const std::string& dir, bool multimodal_model);

// Copies the tensors of an adapter file written for `set` back into the set's own tensors (the
// ones an optimizer holds), as resuming a run needs. Throws naming any tensor that is missing.
void restore_peft_adapter(AdapterSet& set, const std::string& dir, bool multimodal_model);

}  // namespace vltune::adapters
