#include "adapters/full.h"

#include "adapters/low_rank.h"
#include "core/error.h"

namespace vltune::adapters {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// W0 + ΔW in W0's dtype, as the product takes it.
torch::Tensor summed_weight(const torch::Tensor& weight, const torch::Tensor& delta) {
  return weight + delta.to(weight.scalar_type());
}

// y = x (W0 + ΔW)ᵀ + b with only x, W0 and ΔW saved (full.h). The bias is the base's, frozen, and
// W0 is frozen: ΔW and x are what get gradients (and the bias, should it ever train).
class FullLinear : public torch::autograd::Function<FullLinear> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& delta, const c10::optional<torch::Tensor>& bias) {
    ctx->save_for_backward({x, weight, delta});
    ctx->saved_data["has_bias"] = bias.has_value();
    torch::NoGradGuard no_grad;
    return torch::nn::functional::linear(x, summed_weight(weight, delta), bias.has_value() ? *bias : torch::Tensor());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &delta = saved[2];
    const auto dy = as_rows(grad_outputs[0]);
    variable_list grads(4);
    if (ctx->needs_input_grad(0))
      grads[0] = torch::mm(dy, summed_weight(weight, delta)).view(x.sizes());
    if (ctx->needs_input_grad(2)) grads[2] = torch::mm(dy.t(), as_rows(x)).to(delta.scalar_type());
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(3)) grads[3] = dy.sum(0);
    return grads;
  }
};

}  // namespace

FullAdapter::FullAdapter(Linear base, AdapterSpec spec) : Adapter(std::move(base), spec) {
  delta = register_parameter("delta", torch::zeros(base_->weight.sizes(), param_options()));
}

torch::Tensor FullAdapter::forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return FullLinear::apply(x, weight, delta, bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt);
}

FileTensors FullAdapter::file_tensors() {
  torch::NoGradGuard no_grad;
  return {{"weight", base_->weight.to(torch::kFloat32) + delta}};
}

void FullAdapter::load_file_tensor(const std::string& suffix, const torch::Tensor& value, const std::string& where) {
  if (suffix != "weight") fail(where, ": '", suffix, "' is not a tensor of a full adapter (expected: weight)");
  if (value.sizes() != delta.sizes())
    fail(where, ": 'weight' has shape ", value.sizes(), " but the module's weight is ", delta.sizes());
  torch::NoGradGuard no_grad;
  delta.copy_(value.to(torch::kFloat32) - base_->weight.to(torch::kFloat32));
}

}  // namespace vltune::adapters
