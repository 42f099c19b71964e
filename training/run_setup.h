// What a recipe's run needs, built from the recipe: the backbone (model + tokenizer, loaded once
// and shareable between runs, as `vltune compare` does), the sample preparer that turns dataset
// records into token ids and pixels for that backbone, and the datasets themselves.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "datasets/media_cache.h"
#include "datasets/prepare.h"
#include "datasets/sample.h"
#include "language/tokenizer.h"
#include "multimodal/llava.h"
#include "multimodal/model_loader.h"
#include "training/recipe.h"

namespace vltune::training {

struct Backbone {
  multimodal::LoadedModel loaded;
  language::Tokenizer tokenizer;
  torch::Device device = torch::kCPU;
  multimodal::VisionLanguageModelImpl& model() { return *loaded.model; }
  bool multimodal() const { return loaded.config.multimodal(); }  // any vision side (PEFT files nest under model.*)
};

// A device named by a user ("cpu", "cuda", "cuda:1"), checked against this machine and this
// LibTorch, so that a wrong one fails here in one line rather than deep in the first allocation.
// `where` names the setting ("recipe.yaml:3:11", "--device").
torch::Device parse_device(const std::string& name, const std::string& where);

// model.path in model.dtype (bf16 when train.precision is bf16) on model.device (or on `device`
// when given: a rank's own GPU, training/distributed_run.h), frozen; the tokenizer from
// model.tokenizer or the model folder.
Backbone load_backbone(const Recipe& recipe, const std::optional<torch::Device>& device = std::nullopt);

multimodal::VideoPooling video_pooling(const Recipe& recipe);

// data.template, "auto" resolved: the model folder's own template, else llava_v1.
std::string chat_template(const Recipe& recipe);

// data.num_frames, data.fps and data.max_frames.
media::FrameSampling frame_sampling(const Recipe& recipe);

// The preparer's visual side for `loaded`, in the layout its family takes (multimodal/model_family.h):
// frames (tokens per image, per video under `pooling` when their count is fixed, the folder's image
// processor) or patches (the folder's processor with min_pixels / max_pixels when > 0, the family's
// image, video and wrapping ids). `options.media.frames` must be set first. Text-only: unchanged.
// With `videos` (the data holds clips) and fixed-size frames, a clip's token count must be fixed:
// frames sampled at fps (num_frames 0) are refused unless averaged (temporal mean), here for
// train, eval and generate alike.
struct VisualSettings {
  multimodal::VideoPooling pooling;
  int64_t min_pixels = 0, max_pixels = 0;  // 0: the model folder's
  bool videos = false;
  std::string where = "[prepare]";         // names the settings in errors
  std::string frames_where = "[prepare]";  // names the frame count and pooling in errors
};
void apply_visual_settings(const multimodal::LoadedModel& loaded, const VisualSettings& settings,
                           datasets::PrepareOptions& options);

// A recipe's data.min_pixels, data.max_pixels and video pooling.
VisualSettings visual_settings(const Recipe& recipe);

// The processor of a patch-layout family (the folder's, min_pixels / max_pixels from `settings`
// when > 0); nullopt for a model of the frames layout or a text-only one.
std::optional<vision::QwenProcessorConfig> patch_processor(const multimodal::ModelConfig& config, const std::string& model_dir,
                                                           const VisualSettings& settings);

// The samples of the dataset or list of datasets at `key` (data.train or data.eval).
std::vector<datasets::Sample> read_recipe_datasets(const Recipe& recipe, const std::string& key, datasets::BadSamples& bad);

// Datasets and the preparer for one run. The media cache (data.cache) stays open as long as this.
struct RunData {
  std::vector<datasets::Sample> train, eval;
  std::shared_ptr<datasets::BadSamples> bad;
  std::shared_ptr<datasets::MediaCache> cache;
  std::shared_ptr<datasets::SamplePreparer> preparer;
};

RunData load_run_data(const Recipe& recipe, Backbone& backbone);

}  // namespace vltune::training
