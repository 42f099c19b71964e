#include "core/activation_checkpoint.h"

#include <ATen/Context.h>

#include <mutex>
#include <unordered_set>

#include "core/error.h"
#include "core/layers.h"

namespace vltune {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The layer callable, kept alive in the autograd node until backward (saved_data holds IValues).
struct LayerCallable : torch::CustomClassHolder {
  explicit LayerCallable(LayerFunction f) : run(std::move(f)) {}
  LayerFunction run;
};

torch::Tensor generator_state(const torch::Device& device) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

// The generators of `devices` at the states forward saw, for as long as it lives; then back where
// they were, so a recomputation draws no number that the run would otherwise have drawn.
class ReplayedRandomness {
 public:
  ReplayedRandomness(std::vector<torch::Device> devices, const std::vector<torch::Tensor>& forward_states)
      : devices_(std::move(devices)) {
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      current_.push_back(generator_state(devices_[i]));
      set_generator_state(devices_[i], forward_states[i]);
    }
  }
  ~ReplayedRandomness() {
    for (std::size_t i = 0; i < devices_.size(); ++i) set_generator_state(devices_[i], current_[i]);
  }
  ReplayedRandomness(const ReplayedRandomness&) = delete;
  ReplayedRandomness& operator=(const ReplayedRandomness&) = delete;

 private:
  std::vector<torch::Device> devices_;
  std::vector<torch::Tensor> current_;
};

// The CPU's generator always (CPU tensors draw from it), the input's device's as well.
std::vector<torch::Device> random_devices(const torch::Tensor& input) {
  if (input.device().is_cpu()) return {torch::kCPU};
  return {torch::kCPU, input.device()};
}

// Inputs: x, then the trainable tensors θ (needs_input_grad counts them in that order), then the
// callable. Saved: x and θ as saved variables (in-place changes before backward are caught).
class CheckpointedLayer : public torch::autograd::Function<CheckpointedLayer> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, torch::TensorList trainable,
                               const c10::intrusive_ptr<LayerCallable>& layer) {
    std::vector<torch::Tensor> saved{input};
    saved.insert(saved.end(), trainable.begin(), trainable.end());
    ctx->save_for_backward(saved);
    c10::List<torch::Tensor> states;
    for (const auto& device : random_devices(input)) states.push_back(generator_state(device));
    ctx->saved_data["random_states"] = states;
    ctx->saved_data["layer"] = c10::IValue::make_capsule(layer);
    return layer->run(input);  // grad mode is off inside a Function's forward: nothing is recorded
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto layer = c10::static_intrusive_pointer_cast<LayerCallable>(ctx->saved_data["layer"].toCapsule());
    const auto states = ctx->saved_data["random_states"].toTensorVector();

    std::vector<torch::Tensor> wrt;    // what gradients are computed for
    std::vector<std::size_t> slot_of;  // their index among saved (= among the tensor inputs)
    const auto input = saved[0].detach().requires_grad_(ctx->needs_input_grad(0));
    for (std::size_t i = 0; i < saved.size(); ++i) {
      if (!ctx->needs_input_grad(i)) continue;
      wrt.push_back(i == 0 ? input : saved[i]);
      slot_of.push_back(i);
    }
    torch::Tensor output;
    {
      torch::AutoGradMode grad_on(true);
      ReplayedRandomness replay(random_devices(input), states);
      output = layer->run(input);
    }
    const auto grads = torch::autograd::grad({output}, wrt, {grad_outputs[0]}, /*retain_graph=*/false,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    variable_list result(saved.size() + 1);  // the last slot is the callable's, never a gradient
    for (std::size_t k = 0; k < wrt.size(); ++k) result[slot_of[k]] = grads[k];
    return result;
  }
};

}  // namespace

std::vector<torch::Tensor> trainable_tensors(torch::nn::Module& layer) {
  std::vector<torch::Tensor> found;
  std::unordered_set<const void*> seen;
  auto add = [&](const torch::Tensor& t) {
    if (t.requires_grad() && seen.insert(t.unsafeGetTensorImpl()).second) found.push_back(t);
  };
  for (const auto& p : layer.parameters()) add(p);
  for (const auto& module : layer.modules()) {
    const auto* linear = dynamic_cast<const LinearImpl*>(module.get());
    if (!linear || !linear->adapter) continue;
    auto* adapter = dynamic_cast<torch::nn::Module*>(linear->adapter);
    if (!adapter)
      fail("[checkpoint] a Linear of ", layer.name(), " carries an adapter that is not a torch::nn::Module, so its "
           "trainable tensors cannot be found; gradient checkpointing needs them as parameters of a module");
    for (const auto& p : adapter->parameters()) add(p);
  }
  return found;
}

torch::Tensor checkpointed_forward(torch::nn::Module& layer, const torch::Tensor& input, const LayerFunction& run) {
  if (!torch::GradMode::is_enabled()) return run(input);
  const auto trainable = trainable_tensors(layer);
  if (trainable.empty() && !input.requires_grad()) return run(input);
  return CheckpointedLayer::apply(input, torch::TensorList(trainable), c10::make_intrusive<LayerCallable>(run));
}

}  // namespace vltune
