// The adapter methods as data: one row per method (LoRA, DoRA, magnitude-only, VeRA, DVoRA, full),
// in the way vision/vision_arch.cpp describes towers and llama.cpp's llama-arch.cpp describes
// architectures. Everything placement, PEFT file I/O, the trainer and `vltune plan` need to know of
// a method is read from its row; no code outside the method's own file and its factory
// (adapter_set.cpp, the one column that needs LibTorch) names a method. docs/add-a-method.md.
// Plain (no LibTorch): recipes are read and checked without it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/adapter_spec.h"

namespace vltune::adapters {

struct MethodInfo {
  Method method;
  std::string name;       // in recipes and in vltune's own files ("vltune_methods")
  std::string peft_type;  // the peft_type of the adapter file vltune writes it in: LORA or VERA
  bool peft_native;       // PEFT itself has the method in that type (else only vltune reads it back)
  bool use_dora;          // in a LORA file: PEFT's use_dora
  bool takes_rank;        // has a rank (factors, or VeRA's shared projections)
  bool takes_alpha;       // scales its update by alpha / r (LoRA's lora_alpha, rank_pattern, alpha_pattern)
  bool shared_projections;                 // VeRA's frozen A and B, one pair per adapter set
  std::vector<std::string> file_suffixes;  // its tensors in a PEFT file, after "<module>."
  std::vector<std::string> no_decay;       // its parameters AdamW does not decay (registered names)
  // Empty when `vltune export --peft` can write the method in a form PEFT loads exactly (its own,
  // or DoRA's: peft_export.h); otherwise why not, completing "<module> ...".
  std::string no_peft_form;
  int64_t (*parameters)(const AdapterSpec& spec, int64_t out, int64_t in);  // trainable, on an out×in layer
};

// Every method, in the order `vltune plan` and errors list them.
const std::vector<MethodInfo>& method_table();
const MethodInfo& method_info(Method method);

// The trainable parameter count one adapter of `spec` on an out×in layer has (its row's count).
int64_t trainable_parameters(const AdapterSpec& spec, int64_t out, int64_t in);

// Every file suffix of every method, longest first (so "lora_magnitude_vector" is tried before
// "weight" when a PEFT key is split into module and tensor).
std::vector<std::string> all_file_suffixes();

}  // namespace vltune::adapters
