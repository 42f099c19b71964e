// `vltune forward`: one forward pass on inputs from a safetensors file, outputs to another. This is
// the parity tool: feed it the tensors you fed transformers and compare the files.
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"

namespace vltune::cli {

namespace {

struct ForwardArgs {
  std::string model_dir, inputs, out, device = "cpu", dtype;
};

void run_forward(const ForwardArgs& args) {
  multimodal::LoadOptions options;
  options.device = torch::Device(args.device);
  if (!args.dtype.empty()) options.dtype = multimodal::parse_dtype(args.dtype, "--dtype");
  auto loaded = multimodal::load_model(args.model_dir, options);

  auto file = safetensors::File::open(args.inputs);
  auto input = [&](const std::string& name, bool required) {
    if (!file->find(name)) {
      if (required) fail("[forward] ", args.inputs, ": required tensor '", name, "' is missing");
      return torch::Tensor();
    }
    return file->tensor(name).to(options.device);
  };
  multimodal::ForwardInputs inputs;
  inputs.input_ids = input("input_ids", true).to(torch::kInt64);
  inputs.attention_mask = input("attention_mask", false);
  inputs.pixel_values = input("pixel_values", false);
  inputs.labels = input("labels", false);
  if (inputs.labels.defined()) inputs.labels = inputs.labels.to(torch::kInt64);

  torch::NoGradGuard no_grad;
  const auto output = loaded.model->forward(inputs);
  std::vector<std::pair<std::string, torch::Tensor>> tensors{{"logits", output.logits.to(torch::kFloat32)}};
  if (output.loss.defined()) tensors.emplace_back("loss", output.loss.reshape({1}).to(torch::kFloat32));
  if (output.image_features.defined())
    tensors.emplace_back("image_features", output.image_features.to(torch::kFloat32));
  safetensors::write_file(args.out, tensors);
  std::cout << "wrote " << args.out << ": logits " << output.logits.sizes();
  if (output.loss.defined()) std::cout << ", loss " << output.loss.item<double>();
  if (output.image_features.defined()) std::cout << ", image_features " << output.image_features.sizes();
  std::cout << "\n";
}

}  // namespace

void add_forward_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("forward", "Run one forward pass: inputs and outputs as safetensors (float32 outputs)");
  auto args = std::make_shared<ForwardArgs>();
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--inputs", args->inputs, "safetensors with input_ids and optional attention_mask, pixel_values, labels")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "where to write logits, loss (with labels) and image_features (with pixels)")
      ->required();
  cmd->add_option("--device", args->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--dtype", args->dtype, "float32 | bfloat16 | float16 (default: config.json's dtype)");
  cmd->callback([args] { run_forward(*args); });
}

}  // namespace vltune::cli
