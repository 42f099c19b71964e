#include "adapters/adapter_set.h"

#include "adapters/dora.h"
#include "adapters/dvora.h"
#include "adapters/full.h"
#include "adapters/lora.h"
#include "adapters/magnitude.h"
#include "adapters/method_table.h"
#include "adapters/weight_decomposed.h"
#include "core/error.h"

namespace vltune::adapters {

AdapterSet::~AdapterSet() { detach(); }

std::shared_ptr<Adapter> AdapterSet::find(const std::string& path) const {
  for (const auto& entry : entries_)
    if (entry.path == path) return entry.adapter;
  return nullptr;
}

void AdapterSet::add(std::string path, std::shared_ptr<Adapter> adapter) {
  if (find(path)) fail("[adapters] set '", name_, "' already has an adapter on ", path);
  entries_.push_back({std::move(path), std::move(adapter)});
}

void AdapterSet::train_in_place(TensorSite site) {
  for (const auto& other : in_place_)
    if (other.module == site.module) fail("[adapters] set '", name_, "' already trains ", site.module);
  if (site.weight.scalar_type() != torch::kFloat32)
    fail("[adapters] ", site.module, " is ", site.weight.scalar_type(), ": training it whole (embeddings: train) needs the backbone in float32");
  site.weight.set_requires_grad(true);
  in_place_.push_back(std::move(site));
}

void AdapterSet::attach() {
  for (const auto& entry : entries_) {
    auto* current = entry.adapter->base()->adapter;
    if (current && current != entry.adapter.get())
      fail("[adapters] cannot attach set '", name_, "': ", entry.path, " already carries an adapter of another set; detach that set first");
    if (entry.adapter->merged()) fail("[adapters] cannot attach set '", name_, "' while it is merged; unmerge it first");
  }
  for (const auto& entry : entries_) entry.adapter->base()->adapter = entry.adapter.get();
  attached_ = true;
}

void AdapterSet::detach() {
  for (const auto& entry : entries_)
    if (entry.adapter->base()->adapter == entry.adapter.get()) entry.adapter->base()->adapter = nullptr;
  attached_ = false;
}

std::vector<std::pair<std::string, torch::Tensor>> AdapterSet::named_parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& entry : entries_)
    for (const auto& item : entry.adapter->named_parameters()) named.emplace_back(entry.path + "." + item.key(), item.value());
  for (const auto& site : in_place_) named.emplace_back(site.module + ".weight", site.weight);
  return named;
}

std::vector<torch::Tensor> AdapterSet::parameters() const {
  std::vector<torch::Tensor> params;
  for (auto& item : named_parameters()) params.push_back(item.second);
  return params;
}

int64_t AdapterSet::num_trainable() const {
  int64_t total = 0;
  for (const auto& p : parameters()) total += p.numel();
  return total;
}

void AdapterSet::train(bool on) {
  for (const auto& entry : entries_) entry.adapter->train(on);
  for (const auto& site : in_place_) site.weight.set_requires_grad(on);
}

void AdapterSet::refresh_scales() {
  std::vector<WeightDecomposedAdapter*> decomposed;
  bool stale = false;
  for (const auto& entry : entries_)
    if (auto* adapter = dynamic_cast<WeightDecomposedAdapter*>(entry.adapter.get()); adapter && !adapter->merged()) {
      decomposed.push_back(adapter);
      stale = stale || !adapter->scales_fresh();
    }
  if (!stale) return;
  // Every adapter's scales, not only the stale ones', so that the work (and its capture) is the same each step.
  std::vector<const void*> storage;
  for (auto* adapter : decomposed) {
    const auto more = adapter->scale_storage();
    storage.insert(storage.end(), more.begin(), more.end());
  }
  scales_work_.run(decomposed.front()->base()->weight.device(), storage, [&] {
    for (auto* adapter : decomposed) adapter->compute_scales();
  });
  for (auto* adapter : decomposed) adapter->mark_scales_fresh();
}

void AdapterSet::merge() {
  detach();
  for (const auto& entry : entries_) entry.adapter->merge();
}

void AdapterSet::unmerge() {
  for (const auto& entry : entries_) entry.adapter->unmerge();
}

std::set<std::string> AdapterSet::no_decay_parameters() const {
  std::set<std::string> names;
  for (const auto& entry : entries_)
    for (const auto& name : method_info(entry.adapter->spec().method).no_decay) names.insert(entry.path + "." + name);
  return names;
}

// The factory column of method_table.h's rows: the one that needs LibTorch, so it lives here.
std::shared_ptr<Adapter> make_adapter(const Linear& base, const AdapterSpec& spec, torch::Generator& generator,
                                      const std::shared_ptr<const VeraProjections>& projections) {
  if (method_info(spec.method).shared_projections && (!projections || projections->a.size(0) != spec.rank || projections->a.size(1) < base->in_features() ||
                 projections->b.size(0) < base->out_features()))
    fail("[adapters] a ", method_name(spec.method), " adapter of rank ", spec.rank, " on a ", base->out_features(), "x",
         base->in_features(), " layer needs its set's shared projections of that rank and size");
  switch (spec.method) {
    case Method::kLora: return std::make_shared<LoraAdapter>(base, spec, generator);
    case Method::kDora: return std::make_shared<DoraAdapter>(base, spec, generator);
    case Method::kMagnitude: return std::make_shared<MagnitudeAdapter>(base, spec);
    case Method::kVera: return std::make_shared<VeraAdapter>(base, spec, projections);
    case Method::kDvora: return std::make_shared<DvoraAdapter>(base, spec, projections);
    case Method::kFull: return std::make_shared<FullAdapter>(base, spec);
  }
  fail("[adapters] unknown method");
}

std::unique_ptr<AdapterSet> build_adapter_set(const std::string& name, const std::vector<PlannedAdapter>& plan,
                                              uint64_t seed) {
  auto set = std::make_unique<AdapterSet>(name);
  // VeRA and DVoRA layers of one set share one pair of projections, sized for the largest layer.
  const PlannedAdapter* first_vera = nullptr;
  int64_t max_in = 0, max_out = 0;
  for (const auto& p : plan) {
    if (!method_info(p.spec.method).shared_projections) continue;
    if (first_vera && (first_vera->spec.rank != p.spec.rank || first_vera->vera_seed != p.vera_seed))
      fail("[adapters] VeRA/DVoRA layers of one set share their projections, so they need one rank and one "
           "projection_prng_key: ", first_vera->rule_origin, " and ", p.rule_origin, " differ");
    first_vera = first_vera ? first_vera : &p;
    max_in = std::max(max_in, p.site.linear->in_features());
    max_out = std::max(max_out, p.site.linear->out_features());
  }
  if (first_vera) {
    set->vera_projections = std::make_shared<VeraProjections>(
        VeraProjections::draw(first_vera->spec.rank, max_in, max_out, first_vera->vera_seed));
    set->vera_projections->to(first_vera->site.linear->weight.device());
  }
  auto generator = at::detail::createCPUGenerator(seed);
  for (const auto& p : plan) set->add(p.site.path, make_adapter(p.site.linear, p.spec, generator, set->vera_projections));
  return set;
}

}  // namespace vltune::adapters
