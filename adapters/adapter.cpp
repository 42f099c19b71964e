#include "adapters/adapter.h"

#include "core/error.h"

namespace vltune::adapters {

Adapter::Adapter(Linear base, AdapterSpec spec) : base_(std::move(base)), spec_(spec) {
  check_rank(spec_.rank, "[adapters] an adapter");
}

torch::Tensor Adapter::dropout(const torch::Tensor& x) {
  if (spec_.dropout <= 0 || !is_training()) return x;
  return torch::dropout(x, spec_.dropout, /*train=*/true);
}

torch::Tensor Adapter::merged_weight() {
  torch::NoGradGuard no_grad;
  const auto& w0 = base_->weight;
  auto merged = w0.to(torch::kFloat32) + delta_weight().to(torch::kFloat32);
  if (auto g = magnitude_scale(); g.defined()) merged = merged * g.to(torch::kFloat32).unsqueeze(1);
  return merged.to(w0.scalar_type());
}

void Adapter::load_file_tensor(const std::string& suffix, const torch::Tensor& value, const std::string& where) {
  for (auto& [name, tensor] : file_tensors()) {
    if (name != suffix) continue;
    if (tensor.sizes() != value.sizes())
      fail(where, ": '", suffix, "' has shape ", value.sizes(), " but the model's module needs ", tensor.sizes(),
           " (rank or base model mismatch?)");
    torch::NoGradGuard no_grad;
    tensor.copy_(value);
    return;
  }
  std::string known;
  for (const auto& entry : file_tensors()) known += (known.empty() ? "" : ", ") + entry.first;
  fail(where, ": '", suffix, "' is not a tensor of a ", method_name(spec_.method), " adapter (expected: ", known, ")");
}

FileTensors Adapter::file_gradients() {
  FileTensors grads;
  for (auto& [name, tensor] : file_tensors()) grads.emplace_back(name, tensor.grad());
  return grads;
}

void Adapter::merge() {
  if (merged_) return;
  torch::NoGradGuard no_grad;
  merged_scale_ = magnitude_scale();
  if (merged_scale_.defined()) merged_scale_ = merged_scale_.detach().to(torch::kFloat32).clone();
  base_->weight.copy_(merged_weight());
  merged_ = true;
}

void Adapter::unmerge() {
  if (!merged_) return;
  torch::NoGradGuard no_grad;
  auto& w = base_->weight;
  auto w0 = w.to(torch::kFloat32);
  if (merged_scale_.defined()) w0 = w0 / merged_scale_.unsqueeze(1);
  w.copy_(w0 - delta_weight().to(torch::kFloat32));
  merged_ = false;
}

}  // namespace vltune::adapters
