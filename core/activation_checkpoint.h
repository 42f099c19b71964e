// Activation checkpointing (gradient checkpointing): a layer y = f(x) runs without keeping its
// intermediate activations, and backward computes them again.
//
// Forward keeps only x, the layer callable and the random generators' states (CPU, and the
// input's device when it is not the CPU). Backward puts the generators back at those states, so
// dropout draws the same masks, re-runs f on a detached x with grad on, returns the generators to
// where they were, and backpropagates the incoming gradient g through the recomputed graph:
//   dL/dx = (∂f/∂x)ᵀ g,     dL/dθ = (∂f/∂θ)ᵀ g   for every trainable tensor θ inside f.
// The θ are inputs of the checkpoint's autograd node, so the outer backward accumulates their
// gradients like any other leaf's, and the node exists even when x needs no gradient (the first
// decoder layer over frozen embeddings). Memory per layer: its input instead of all its
// intermediates; cost: one more forward of the layer during backward.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace vltune {

using LayerFunction = std::function<torch::Tensor(const torch::Tensor&)>;

// The tensors inside `layer` that need a gradient, each once: its own parameters that require
// one, and those of the adapters attached to its Linears (adapters are not registered in the
// model). Throws if an attached adapter is not a torch::nn::Module, as its tensors are then unknown.
std::vector<torch::Tensor> trainable_tensors(torch::nn::Module& layer);

// run(input) through a checkpoint when grad mode is on and the input or a trainable tensor of
// `layer` needs a gradient; otherwise the plain call (evaluation, generation, a frozen layer over
// an input that needs no gradient), which records no graph. `run` must compute its output from
// `input`, tensors of `layer` (adapters included) and tensors that need no gradient.
torch::Tensor checkpointed_forward(torch::nn::Module& layer, const torch::Tensor& input, const LayerFunction& run);

}  // namespace vltune
