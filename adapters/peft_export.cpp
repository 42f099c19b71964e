#include "adapters/peft_export.h"

#include "adapters/dora.h"
#include "adapters/lora.h"
#include "adapters/method_table.h"
#include "adapters/peft_io.h"
#include "adapters/weight_decomposed.h"
#include "core/error.h"

namespace vltune::adapters {

namespace {

// Refuses, naming the module, what no PEFT file expresses.
void check_expressible(const AdapterSet& set) {
  const AdapterSet::Entry* vera = nullptr;
  const AdapterSet::Entry* other = nullptr;
  for (const auto& entry : set.entries()) {
    const auto method = entry.adapter->spec().method;
    if (entry.adapter->merged()) fail("[export] set '", set.name(), "' is merged into its base; unmerge it before exporting it");
    if (const auto& reason = method_info(method).no_peft_form; !reason.empty())
      fail("[export] ", entry.path, " ", reason, "; export the run merged (--merged) instead");
    (method_info(method).shared_projections ? vera : other) = &entry;
  }
  if (vera && other)
    fail("[export] the set mixes VeRA (", vera->path, ") with ", method_name(other->adapter->spec().method), " (", other->path,
         "): a PEFT adapter file holds one peft_type, and PEFT's VeRA has neither LoRA's factors nor a magnitude; export ",
         "the run merged (--merged) instead, or train the two parts as separate runs");
}

// The LoRA-family spec the mix's magnitude-only modules take: the first module with factors,
// else the magnitude module's own rank and alpha.
AdapterSpec factor_spec(const AdapterSet& set) {
  for (const auto& entry : set.entries())
    if (entry.adapter->spec().method != Method::kMagnitude) return entry.adapter->spec();
  return set.entries().front().adapter->spec();
}

// A DoRA adapter on `source`'s base layer giving its outputs (see the header for each method).
std::shared_ptr<Adapter> as_dora(Adapter& source, const AdapterSpec& magnitude_spec, torch::Generator& generator) {
  AdapterSpec spec = source.spec().method == Method::kMagnitude ? magnitude_spec : source.spec();
  spec.method = Method::kDora;
  auto dora = std::make_shared<DoraAdapter>(source.base(), spec, generator);
  torch::NoGradGuard no_grad;
  if (auto* lora = dynamic_cast<LoraAdapter*>(&source)) {
    dora->lora_a.copy_(lora->lora_a);
    dora->lora_b.copy_(lora->lora_b);
    dora->magnitude.copy_(dora->weight_norm());
  } else if (auto* decomposed = dynamic_cast<DoraAdapter*>(&source)) {
    dora->lora_a.copy_(decomposed->lora_a);
    dora->lora_b.copy_(decomposed->lora_b);
    dora->magnitude.copy_(decomposed->magnitude);
  } else {
    dora->lora_a.zero_();
    dora->lora_b.zero_();
    dora->magnitude.copy_(dynamic_cast<WeightDecomposedAdapter&>(source).magnitude);
  }
  return dora;
}

}  // namespace

std::unique_ptr<AdapterSet> peft_equivalent(AdapterSet& set) {
  if (set.entries().empty()) fail("[export] set '", set.name(), "' is empty: nothing to export");
  if (!set.trained_in_place().empty())
    fail("[export] set '", set.name(), "' trains the embeddings whole (embeddings: train), which --peft does not carry; "
         "export it --merged");
  check_expressible(set);
  const auto first = set.entries().front().adapter->spec().method;
  bool one_method = true;
  for (const auto& entry : set.entries()) one_method = one_method && entry.adapter->spec().method == first;
  if (one_method && method_info(first).peft_native) return nullptr;  // LoRA, DoRA or VeRA alone: PEFT's as it is

  const auto magnitude_spec = factor_spec(set);
  auto generator = at::detail::createCPUGenerator(0);  // A is overwritten; the draw only allocates it
  auto dora = std::make_unique<AdapterSet>(set.name());
  for (const auto& entry : set.entries()) dora->add(entry.path, as_dora(*entry.adapter, magnitude_spec, generator));
  return dora;
}

void export_peft_adapter(AdapterSet& set, const std::string& dir, bool multimodal_model) {
  const auto dora = peft_equivalent(set);
  save_peft_adapter(dora ? *dora : set, dir, multimodal_model);
}

}  // namespace vltune::adapters
