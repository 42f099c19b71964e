// `vltune forward`: one forward pass on inputs from a safetensors file, outputs to another. This is
// the parity tool: feed it the tensors you fed transformers and compare the files.
#include <iostream>
#include <optional>
#include <set>

#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"
#include "training/run_setup.h"

namespace vltune::cli {

namespace {

struct ForwardArgs {
  std::string model_dir, inputs, out, device = "cpu", dtype, adapter_dir, attention = "eager";
  bool merge = false, grads = false;
};

void run_forward(const ForwardArgs& args) {
  multimodal::LoadOptions options;
  options.device = training::parse_device(args.device, "--device");
  if (!args.dtype.empty()) options.dtype = multimodal::parse_dtype(args.dtype, "--dtype");
  options.empty_rows = language::parse_empty_row_rule(args.attention, "[forward] --attention");
  auto loaded = multimodal::load_model(args.model_dir, options);

  auto file = safetensors::File::open(args.inputs);
  auto input = [&](const std::string& name, bool required) {
    if (!file->find(name)) {
      if (required) fail("[forward] ", args.inputs, ": required tensor '", name, "' is missing");
      return torch::Tensor();
    }
    return file->tensor(name).to(options.device);
  };
  // transformers' argument names; mm_token_type_ids is accepted and ignored (it follows from input_ids).
  static const std::set<std::string> known = {"input_ids", "attention_mask", "labels", "pixel_values",
                                              "image_grid_thw", "pixel_values_videos", "video_grid_thw",
                                              "second_per_grid_ts", "mm_token_type_ids"};
  for (const auto& info : file->tensors())
    if (!known.count(info.name))
      fail("[forward] ", args.inputs, ": unknown tensor '", info.name, "' (known: input_ids, attention_mask, labels,"
           " pixel_values, image_grid_thw, pixel_values_videos, video_grid_thw, second_per_grid_ts, mm_token_type_ids)");
  multimodal::ForwardInputs inputs;
  inputs.input_ids = input("input_ids", true).to(torch::kInt64);
  inputs.attention_mask = input("attention_mask", false);
  inputs.pixel_values = input("pixel_values", false);
  inputs.labels = input("labels", false);
  if (inputs.labels.defined()) inputs.labels = inputs.labels.to(torch::kInt64);
  inputs.image_grid_thw = input("image_grid_thw", false);
  inputs.pixel_values_videos = input("pixel_values_videos", false);
  inputs.video_grid_thw = input("video_grid_thw", false);
  inputs.second_per_grid_ts = input("second_per_grid_ts", false);

  // Merged into the weights (and left so: the process ends), or attached for this command's scope.
  std::unique_ptr<adapters::AdapterSet> merged;
  std::optional<adapters::AttachedSet> attached;
  if (!args.adapter_dir.empty()) {
    auto set = adapters::load_peft_adapter(args.adapter_dir, *loaded.model, loaded.config.multimodal());
    if (args.merge) {
      merged = std::move(set);
      merged->merge();
    } else {
      attached.emplace(std::move(set));
      (*attached)->train(args.grads);  // gradients are taken in training mode, as PEFT's are
    }
  }
  const adapters::AdapterSet* set = merged ? merged.get() : attached ? attached->set.get() : nullptr;
  if (args.grads && !inputs.labels.defined()) fail("[forward] --grads needs 'labels' in ", args.inputs);

  std::optional<torch::NoGradGuard> no_grad;
  if (!args.grads) no_grad.emplace();
  const auto output = loaded.model->forward(inputs);
  std::vector<std::pair<std::string, torch::Tensor>> tensors{{"logits", output.logits.detach().to(torch::kFloat32)}};
  std::size_t gradients = 0;
  if (args.grads) {
    output.loss.backward();
    const auto& layout = adapters::peft_layout(loaded.config.multimodal());
    for (const auto& entry : set->entries()) {
      auto values = entry.adapter->file_tensors();
      auto grads = entry.adapter->file_gradients();
      for (std::size_t i = 0; i < grads.size(); ++i) {
        // A module whose output never reaches the loss has no gradient; PEFT reports zeros.
        auto grad = grads[i].second.defined() ? grads[i].second : torch::zeros_like(values[i].second);
        tensors.emplace_back("grad." + adapters::peft_key(layout, entry.path, grads[i].first), grad.to(torch::kFloat32));
        ++gradients;
      }
    }
  }
  if (output.loss.defined()) tensors.emplace_back("loss", output.loss.detach().reshape({1}).to(torch::kFloat32));
  if (output.image_features.defined())
    tensors.emplace_back("image_features", output.image_features.detach().to(torch::kFloat32));
  if (output.position_ids.defined()) tensors.emplace_back("position_ids", output.position_ids.to(torch::kCPU));
  safetensors::write_file(args.out, tensors);
  std::cout << "wrote " << args.out << ": logits " << output.logits.sizes();
  if (output.loss.defined()) std::cout << ", loss " << output.loss.item<double>();
  if (output.image_features.defined()) std::cout << ", image_features " << output.image_features.sizes();
  if (set) std::cout << ", adapter " << args.adapter_dir << " (" << set->entries().size() << " modules" << (args.merge ? ", merged" : "") << ")";
  if (output.position_ids.defined()) std::cout << ", position_ids " << output.position_ids.sizes();
  if (args.grads) std::cout << ", gradients of " << gradients << " adapter tensors";
  std::cout << "\n";
}

}  // namespace

void add_forward_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("forward", "Run one forward pass: inputs and outputs as safetensors (float32 outputs)");
  auto args = std::make_shared<ForwardArgs>();
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--inputs", args->inputs,
                  "safetensors with input_ids and optional attention_mask, labels, pixel_values (Qwen: also "
                  "image_grid_thw, pixel_values_videos, video_grid_thw, second_per_grid_ts)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out,
                  "where to write logits, loss (with labels), image_features (with pixels), position_ids (M-RoPE)")
      ->required();
  cmd->add_option("--device", args->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--dtype", args->dtype, "float32 | bfloat16 | float16 (default: config.json's dtype)");
  cmd->add_option("--attention", args->attention,
                  "eager | sdpa: what left-padded positions get, as transformers' attn_implementation of that "
                  "name (eager: the average of all values; sdpa: zeros)")
      ->capture_default_str();
  cmd->add_option("--adapter", args->adapter_dir, "PEFT adapter folder to apply")->check(CLI::ExistingDirectory);
  cmd->add_flag("--merge", args->merge, "merge the adapter into the weights first (eval mode)");
  cmd->add_flag("--grads", args->grads, "also write grad.<PEFT key> for every adapter tensor (needs labels)");
  cmd->callback([args] {
    if ((args->merge || args->grads) && args->adapter_dir.empty()) fail("[forward] --merge and --grads need --adapter");
    if (args->merge && args->grads) fail("[forward] --merge and --grads exclude each other: a merged adapter has no gradients");
    run_forward(*args);
  });
}

}  // namespace vltune::cli
