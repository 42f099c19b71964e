// An adapter set in the form PEFT loads to the same outputs (issue 14, item 5), for `vltune export
// --peft`. vltune's own files (run checkpoints, `vltune adapter convert`) keep every method as it
// trained, with a "vltune_methods" map PEFT ignores (peft_io.h); PEFT would load such a mix wrongly.
//
// PEFT's LoRA config has one `use_dora` for all its target modules (rank_pattern and alpha_pattern
// set r and lora_alpha per module), and its DoRA computes, per output row i,
//   y = g ⊙ (W0 x + s·B A x) + b,   g = m / ‖W0 + s·B A‖   (norm detached; merge: W = g ⊙ (W0 + s·BA)).
// So every mix of LoRA, DoRA and magnitude-only has one exact form, DoRA on every module:
//   - DoRA: as trained;
//   - LoRA: the same A, B, r and alpha, with m = ‖W0 + s·B A‖ computed now on the loaded base, so
//     g = 1 and DoRA's output is LoRA's;
//   - magnitude-only: A = 0 and B = 0 at the file's r and lora_alpha, so ΔW = 0 and y = (m/‖W0‖) ⊙ W0x + b.
//     Zero factors also get zero gradients, so a run continued in PEFT keeps the module magnitude-only.
// A set of one method PEFT has (LoRA alone, DoRA alone, VeRA alone) is written as it is. Refused, with
// the module and the reason: full fine-tuning and DVoRA (PEFT has neither: export them merged), and
// VeRA beside any other method (a PEFT file holds one peft_type).
#pragma once
#include <memory>
#include <string>

#include "adapters/adapter_set.h"

namespace vltune::adapters {

// The set PEFT reads to the same outputs: a new set of DoRA adapters on the same base layers for a
// LoRA/DoRA/magnitude mix, nullptr when `set` is already one PEFT method. Throws for what PEFT cannot
// express. `set` must not be merged (the norms are of W0).
std::unique_ptr<AdapterSet> peft_equivalent(AdapterSet& set);

// Writes `set` into `dir` in that form (peft_io.h's save_peft_adapter does the writing).
void export_peft_adapter(AdapterSet& set, const std::string& dir, bool multimodal_model);

}  // namespace vltune::adapters
