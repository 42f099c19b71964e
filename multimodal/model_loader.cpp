#include "multimodal/model_loader.h"

#include "core/error.h"
#include "core/text.h"
#include "multimodal/checkpoint_layouts.h"
#include "multimodal/model_family.h"

namespace vltune::multimodal {

namespace {
// transformers' _init_weights for these architectures: normal(0, std) for every matrix and
// embedding (Conv2d patch embeddings included), zero biases, unit norm weights. std is the decoder's
// initializer_range (the tower uses its own factor-scaled ranges in transformers; one std is
// enough for training from scratch).
// Refuses a config.json that describes a much larger model than the checkpoint holds, before the
// modules are allocated (the strict load would refuse it anyway, but after allocating).
void check_size_against(const ModelConfig& config, const Checkpoint& checkpoint) {
  double stored = 0;
  for (const auto& name : checkpoint.names()) {
    double numel = 1;
    for (int64_t dim : checkpoint.info(name).shape) numel *= static_cast<double>(dim);
    stored += numel;
  }
  const double described = config.parameter_count();
  if (described > 2 * stored + (1 << 20))
    fail("[model] ", config.path, ": describes a model of about ", described, " parameters but ", checkpoint.source(),
         " holds ", stored, "; hint: is this config.json for this checkpoint?");
}

void init_random(VisionLanguageModelImpl& model, double std, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = torch::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& item : model.named_parameters()) {
    auto& param = item.value();
    const auto& name = item.key();
    torch::Tensor value;
    if (ends_with(name, ".bias")) value = torch::zeros(param.sizes());
    else if (param.dim() == 1 && name.find("norm") != std::string::npos) value = torch::ones(param.sizes());
    else value = torch::empty(param.sizes()).normal_(0.0, std, generator);
    param.copy_(value);
  }
}
}  // namespace

LoadedModel load_model(const std::string& model_dir, const LoadOptions& options) {
  LoadedModel loaded;
  loaded.dir = model_dir;
  loaded.config = read_model_config(model_dir);
  loaded.config.text.empty_rows = options.empty_rows;
  if (options.random_init_seed) {
    const torch::Dtype dtype = options.dtype.value_or(loaded.config.dtype);
    loaded.model = VisionLanguageModel(loaded.config, dtype, !loaded.config.tie_word_embeddings);
    init_random(*loaded.model, loaded.config.text.initializer_range, *options.random_init_seed);
    const ModelFamily* family = find_model_family(loaded.config.model_type);
    const std::string layout_name = family ? family->saved_layout : "bare llama";
    for (const auto& layout : checkpoint_layouts())
      if (layout.name == layout_name) loaded.layout = layout;
    for (auto& param : loaded.model->parameters()) param.set_requires_grad(false);
    if (options.device != torch::kCPU) loaded.model->to(options.device);
    loaded.model->eval();
    return loaded;
  }
  const Checkpoint checkpoint = Checkpoint::open(model_dir);
  check_size_against(loaded.config, checkpoint);

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
