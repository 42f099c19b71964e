#include "multimodal/model_loader.h"

#include "core/error.h"
#include "multimodal/checkpoint_layouts.h"

namespace vltune::multimodal {

namespace {
bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

LoadedModel load_model(const std::string& model_dir, const LoadOptions& options) {
  LoadedModel loaded;
  loaded.dir = model_dir;
  loaded.config = read_model_config(model_dir);
  const Checkpoint checkpoint = Checkpoint::open(model_dir);

  std::string stored_lm_head;
  for (const auto& name : checkpoint.names())
    if (name == "lm_head.weight" || ends_with(name, ".lm_head.weight")) stored_lm_head = name;
  const bool with_lm_head = !loaded.config.tie_word_embeddings && !stored_lm_head.empty();

  const torch::Dtype dtype = options.dtype.value_or(loaded.config.dtype);
  loaded.model = VisionLanguageModel(loaded.config, dtype, with_lm_head);

  std::vector<std::string> module_names;
  for (const auto& item : loaded.model->named_parameters()) module_names.push_back(item.key());
  const KeyLayout& layout = detect_layout(checkpoint.names(), module_names);
  loaded.layout = layout;

  std::map<std::string, std::string> ignore;
  if (loaded.config.tie_word_embeddings && !stored_lm_head.empty())
    ignore[stored_lm_head] = "tie_word_embeddings is true, so the output projection is the input embedding";
  loaded.report = load_strict(*loaded.model, checkpoint, layout, ignore);

  for (auto& param : loaded.model->parameters()) param.set_requires_grad(false);
  if (options.device != torch::kCPU) loaded.model->to(options.device);
  loaded.model->eval();
  return loaded;
}

}  // namespace vltune::multimodal
