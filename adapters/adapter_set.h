// A named set of adapters on one loaded backbone. Sets hold references to the frozen base layers,
// never copies, so several sets can exist side by side and be attached one at a time (switched,
// or trained one after another) without reloading the model.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/placement.h"
#include "adapters/vera.h"
#include "core/replayed_work.h"

namespace vltune::adapters {

class AdapterSet {
 public:
  struct Entry {
    std::string path;  // canonical module path of the adapted Linear
    std::shared_ptr<Adapter> adapter;
  };

  explicit AdapterSet(std::string name) : name_(std::move(name)) {}
  ~AdapterSet();
  AdapterSet(const AdapterSet&) = delete;
  AdapterSet& operator=(const AdapterSet&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::shared_ptr<Adapter> find(const std::string& path) const;
  void add(std::string path, std::shared_ptr<Adapter> adapter);

  // Plugs every adapter into its Linear. Fails, naming the module, if another set is attached there.
  void attach();
  void detach();
  bool attached() const { return attached_; }

  // A model tensor that trains whole (`embeddings: train`, placement.h's TensorSite). Unlike an
  // adapter it changes the backbone itself, in place: the set saves it whole (PEFT's
  // modules_to_save) and loading one copies it back into the model. Needs an fp32 tensor.
  void train_in_place(TensorSite site);
  const std::vector<TensorSite>& trained_in_place() const { return in_place_; }

  // "path.lora_A", ... for every trainable tensor, then "module.weight" for those trained in
  // place; parameters() in the same order.
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const;
  std::vector<torch::Tensor> parameters() const;
  int64_t num_trainable() const;
  // "path.magnitude", ... for the parameters AdamW does not decay (each method's row says which).
  std::set<std::string> no_decay_parameters() const;
  void train(bool on);

  // Brings the DoRA-family adapters' g = m / ‖W0 + ΔW‖ (weight_decomposed.h) up to date for the
  // current parameters, all at once: on CUDA one graph replay instead of about ten small kernels per
  // adapter, which a forward bound by kernel launches feels. Call it before a forward (the trainer
  // does, once per optimizer step); it does nothing when the parameters have not changed, and
  // without it each adapter computes its own when first used.
  void refresh_scales();
  int64_t scale_captures() const { return scales_work_.captures(); }  // CUDA graphs made of it (0 on the CPU)

  // Writes W' into the base weights (and detaches), or restores W0.
  void merge();
  void unmerge();

  std::shared_ptr<VeraProjections> vera_projections;  // shared by the set's VeRA/DVoRA adapters

 private:
  std::string name_;
  std::vector<Entry> entries_;
  std::vector<TensorSite> in_place_;
  bool attached_ = false;
  ReplayedWork scales_work_;
};

// A set attached to its model for a scope and detached at its end whatever happens (an exception
// included), leaving the model as found: how the trainer, `eval`, `generate` and `forward` hold
// the adapters they run with.
struct AttachedSet {
  explicit AttachedSet(std::unique_ptr<AdapterSet> attached) : set(std::move(attached)) { set->attach(); }
  ~AttachedSet() { set->detach(); }
  AttachedSet(const AttachedSet&) = delete;
  AttachedSet& operator=(const AttachedSet&) = delete;
  AdapterSet* operator->() const { return set.get(); }

  const std::unique_ptr<AdapterSet> set;
};

// Creates the adapters `plan` describes (initialised from `seed`); not attached yet.
std::unique_ptr<AdapterSet> build_adapter_set(const std::string& name, const std::vector<PlannedAdapter>& plan,
                                              uint64_t seed);

// One adapter of `spec` on `base` (VeRA and DVoRA need the set's projections).
std::shared_ptr<Adapter> make_adapter(const Linear& base, const AdapterSpec& spec, torch::Generator& generator,
                                      const std::shared_ptr<const VeraProjections>& projections);

}  // namespace vltune::adapters
