#include "adapters/fused_low_rank_linear.h"

#include "adapters/decomposed_elementwise.h"
#include "adapters/low_rank.h"

namespace vltune::adapters {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using OptionalTensor = c10::optional<torch::Tensor>;
// forward()'s arguments in order. Optional tensors are passed as c10::optional (LibTorch 2.x
// refuses undefined tensors as inputs) and the always-present ones come first, so these are also
// the indices needs_input_grad takes (it counts the tensors given), magnitude's included.
enum Input : size_t { kX, kWeight, kA, kB, kMagnitude, kBias, kG, kMagnitudeDivisor, kScale, kNumInputs };

torch::Tensor value_or_undefined(const OptionalTensor& t) { return t.has_value() ? *t : torch::Tensor(); }

class FusedLowRankLinear : public torch::autograd::Function<FusedLowRankLinear> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& a, const torch::Tensor& b, const OptionalTensor& magnitude_or_none,
                               const OptionalTensor& bias_or_none, const OptionalTensor& g_or_none,
                               const OptionalTensor& magnitude_divisor_or_none, double scale) {
    const auto magnitude = value_or_undefined(magnitude_or_none), bias = value_or_undefined(bias_or_none);
    const auto magnitude_divisor = value_or_undefined(magnitude_divisor_or_none);
    const auto dtype = x.scalar_type();
    const auto u = torch::matmul(x, a.to(dtype).t());  // [..., r]
    auto z = torch::matmul(x, weight.t());             // [..., out]
    as_rows(z).addmm_(as_rows(u), b.to(dtype).t(), /*beta=*/1.0, /*alpha=*/scale);
    torch::Tensor g, scaled, y;
    if (magnitude.defined()) {
      g = g_or_none->to(dtype);
      auto out = scale_columns(z, g, bias);
      scaled = out.scaled;
      y = out.y;
    } else {
      y = bias.defined() ? z.add_(bias) : z;
    }
    ctx->save_for_backward({x, weight, a, b, u, g, magnitude_divisor, scaled});
    ctx->saved_data["scale"] = scale;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &a = saved[2], &b = saved[3], &u = saved[4], &g = saved[5],
               &magnitude_divisor = saved[6], &scaled = saved[7];
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto dtype = x.scalar_type();
    const auto dy = as_rows(grad_outputs[0]);
    ScaledGradients scaled_grads;
    if (g.defined()) scaled_grads = scale_columns_backward(dy, g, as_rows(scaled), magnitude_divisor);
    const auto h = g.defined() ? scaled_grads.h : dy;
    const auto a_cast = a.to(dtype);
    const auto hb = torch::mm(h, b.to(dtype)).mul_(scale);  // s·(h B) [T, r]

    variable_list grads(kNumInputs);
    if (ctx->needs_input_grad(kX)) grads[kX] = torch::mm(h, weight).addmm_(hb, a_cast).view(x.sizes());
    if (ctx->needs_input_grad(kA)) grads[kA] = torch::mm(hb.t(), as_rows(x)).to(a.scalar_type());
    if (ctx->needs_input_grad(kB)) grads[kB] = torch::mm(h.t(), as_rows(u)).mul_(scale).to(b.scalar_type());
    if (magnitude_divisor.defined() && ctx->needs_input_grad(kMagnitude))
      grads[kMagnitude] = scaled_grads.magnitude_grad;
    return grads;
  }
};

}  // namespace

torch::Tensor fused_low_rank_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                    const torch::Tensor& a, const torch::Tensor& b, double scale,
                                    const torch::Tensor& magnitude, const torch::Tensor& g,
                                    const torch::Tensor& magnitude_divisor) {
  auto optional = [](const torch::Tensor& t) { return t.defined() ? OptionalTensor(t) : OptionalTensor(); };
  return FusedLowRankLinear::apply(x, weight, a, b, optional(magnitude), optional(bias), optional(g), optional(magnitude_divisor),
                                   scale);
}

}  // namespace vltune::adapters
