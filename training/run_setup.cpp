#include "training/run_setup.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "datasets/dataset_yaml.h"
#include "datasets/registry.h"
#include "language/chat_template_choice.h"
#include "training/validation_split.h"
#include "vision/image_processor.h"

namespace fs = std::filesystem;

namespace vltune::training {

torch::Device parse_device(const std::string& name, const std::string& where) {
  std::optional<torch::Device> device;
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
  }
  if (!device || (!device->is_cpu() && !device->is_cuda()))
    fail("[device] ", where, " '", name, "' is not a device vltune runs on (cpu, cuda, cuda:1)");
  if (device->is_cuda()) {
    const int64_t count = torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
    if (count == 0) fail("[device] ", where, " '", name, "': no CUDA device here (or this LibTorch is built without CUDA)");
    if (device->has_index() && device->index() >= count)
      fail("[device] ", where, " '", name, "': this machine has ", count, " CUDA device(s), cuda:0 to cuda:", count - 1);
  }
  return *device;
}

Backbone load_backbone(const Recipe& recipe, const std::optional<torch::Device>& device) {
  multimodal::LoadOptions options;
  const auto dtype = recipe.str("train.precision") == "bf16" ? std::string("bfloat16") : recipe.str("model.dtype");
  options.dtype = dtype == "bfloat16" ? torch::kBFloat16 : dtype == "float16" ? torch::kFloat16 : torch::kFloat32;
  options.device = device ? *device : parse_device(recipe.str("model.device"), recipe.where("model.device") + ": model.device");
  if (recipe.str("model.init") == "random") options.random_init_seed = static_cast<uint64_t>(recipe.integer("train.seed"));
  Backbone backbone{multimodal::load_model(recipe.file_path("model.path"), options),
                    recipe.has("model.tokenizer") ? language::Tokenizer::load(recipe.file_path("model.tokenizer"))
                                                  : language::Tokenizer::from_model_dir(recipe.file_path("model.path")),
                    options.device};
  const int64_t vocab = backbone.loaded.config.text.vocab_size;
  if (backbone.tokenizer.vocab_size() > vocab)
    fail("[recipe] ", backbone.tokenizer.path(), " has ", backbone.tokenizer.vocab_size(), " pieces but the model's vocabulary is ",
         vocab, ": the tokenizer does not belong to ", recipe.file_path("model.path"));
  const int64_t image_token = backbone.loaded.config.image_token_index;
  const auto* family = multimodal::find_model_family(backbone.loaded.config.model_type);
  if (family && image_token < backbone.tokenizer.vocab_size() && backbone.tokenizer.piece_id(family->image_token_piece) != image_token)
    fail("[recipe] ", backbone.tokenizer.path(), ": id ", image_token, " is an ordinary piece of this tokenizer, but the model uses it ",
         "for image tokens (image_token_index, the piece ", family->image_token_piece, "); train the tokenizer with at most ",
         image_token, " pieces");
  return backbone;
}

multimodal::VideoPooling video_pooling(const Recipe& recipe) {
  multimodal::VideoPooling pooling;
  pooling.spatial = recipe.integer("data.spatial_pool");
  pooling.temporal = recipe.str("data.temporal");
  return pooling;
}

std::string chat_template(const Recipe& recipe) {
  const auto named = recipe.str("data.template");
  if (named != "auto") return named;
  // The model folder's own template, else llava_v1.
  const auto chosen = language::chat_template_for_model(recipe.file_path("model.path"));
  if (!chosen.empty()) log_info(cat("data.template auto: ", chosen, " (the chat template of ", recipe.file_path("model.path"), ")"));
  return chosen.empty() ? "llava_v1" : chosen;
}

media::FrameSampling frame_sampling(const Recipe& recipe) {
  media::FrameSampling frames;
  frames.num_frames = recipe.integer("data.num_frames");
  frames.fps = recipe.number("data.fps");
  frames.max_frames = recipe.integer("data.max_frames");
  return frames;
}

std::vector<datasets::Sample> read_recipe_datasets(const Recipe& recipe, const std::string& key, datasets::BadSamples& bad) {
  std::vector<datasets::Sample> samples;
  const YAML::Node node = recipe.find(key);
  const auto file = recipe.origin_file(key);
  auto read = [&](const YAML::Node& one) {
    auto more = datasets::read_dataset(datasets::parse_dataset_spec(one, file), bad);
    samples.insert(samples.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  if (node.IsSequence())
    for (const auto& one : node) read(one);
  else
    read(node);
  return samples;
}

namespace {

// The data's media against the model: none for a text-only model.
void check_visual_samples(const Recipe& recipe, const Backbone& backbone, const RunData& data) {
  if (backbone.multimodal()) return;
  for (const auto* samples : {&data.train, &data.eval})
    for (const auto& sample : *samples)
      if (!sample.images.empty() || !sample.video.empty())
        fail("[recipe] ", sample.id, ": an image or video sample, but ", recipe.file_path("model.path"), " is a text-only model");
}

// The first video sample's id, or "".
std::string first_video(const RunData& data) {
  for (const auto* samples : {&data.train, &data.eval})
    for (const auto& sample : *samples)
      if (!sample.video.empty()) return sample.id;
  return "";
}

}  // namespace

VisualSettings visual_settings(const Recipe& recipe) {
  VisualSettings visual;
  visual.pooling = video_pooling(recipe);
  visual.min_pixels = recipe.integer("data.min_pixels");
  visual.max_pixels = recipe.integer("data.max_pixels");
  visual.where = recipe.where("data.min_pixels") + ": data.min_pixels / data.max_pixels";
  return visual;
}

std::optional<vision::QwenProcessorConfig> patch_processor(const multimodal::ModelConfig& config, const std::string& model_dir,
                                                           const VisualSettings& settings) {
  const auto* family = multimodal::find_model_family(config.model_type);
  if (!family || !family->patch_processor) return std::nullopt;
  auto processor = family->patch_processor(config, model_dir);
  if (settings.min_pixels > 0) processor.min_pixels = settings.min_pixels;
  if (settings.max_pixels > 0) processor.max_pixels = settings.max_pixels;
  if (processor.max_pixels < processor.min_pixels)
    fail(settings.where, ": min_pixels ", processor.min_pixels, " exceeds max_pixels ", processor.max_pixels);
  return processor;
}

void apply_visual_settings(const multimodal::LoadedModel& loaded, const VisualSettings& settings,
                           datasets::PrepareOptions& options) {
  const auto& config = loaded.config;
  const auto* family = multimodal::find_model_family(config.model_type);
  if (!family) return;
  options.encode.visual_token_id = config.image_token_index;
  if (auto processor = patch_processor(config, loaded.dir, settings)) {
    options.media.patches = processor;
    options.encode.video_token_id = config.video_token_index;
    options.encode.open_id = config.vision_start_token_id;
    options.encode.close_id = config.vision_end_token_id;
    return;
  }
  options.encode.tokens_per_image = config.tokens_per_image();
  // Clips sampled at data.fps have as many frames as their length gives: their token count is
  // fixed only when the frames are averaged (temporal: mean), one frame's tokens.
  const int64_t frames = options.media.frames.num_frames;
  if (settings.videos && frames <= 0 && settings.pooling.temporal != "mean")
    fail(settings.frames_where, ": frames sampled at fps (a frame count of 0) give clips of different lengths different frame ",
         "counts, and temporal pooling concat would give them different numbers of video tokens. Use temporal pooling ",
         "mean (data.temporal: mean, --temporal-pool mean), or a fixed frame count (data.num_frames, --num-frames)");
  if (frames > 0 || settings.pooling.temporal == "mean")
    options.encode.tokens_per_video = loaded.model->tokens_per_video(std::max<int64_t>(frames, 1), settings.pooling);
  options.media.image = vision::image_processor_config(loaded.dir, *config.vision);
}

RunData load_run_data(const Recipe& recipe, Backbone& backbone) {
  RunData data;
  data.bad = std::make_shared<datasets::BadSamples>(recipe.str("data.on_bad_sample") == "error" ? datasets::OnBadSample::kError
                                                                                                : datasets::OnBadSample::kSkip);
  data.train = read_recipe_datasets(recipe, "data.train", *data.bad);
  if (data.train.empty()) fail("[recipe] ", recipe.where("data.train"), ": the training dataset has no usable sample");
  if (const double fraction = recipe.number("data.validation"); fraction > 0) {
    // The held-out part of data.train replaces data.eval (never read then): tuning never sees the test split.
    auto split = split_validation(std::move(data.train), fraction);
    if (split.train.empty() || split.validation.empty())
      fail("[recipe] ", recipe.where("data.validation"), ": data.validation ", fraction, " of the ", split.train.size() + split.validation.size(),
           " training samples leaves ", split.train.size(), " to train on and ", split.validation.size(), " to validate on; both need one or more");
    log_info(cat("data.validation ", fraction, ": ", split.validation.size(), " of the ", split.train.size() + split.validation.size(),
                 " training samples held out for evaluation (instead of data.eval)"));
    data.train = std::move(split.train);
    data.eval = std::move(split.validation);
  } else if (recipe.has("data.eval")) {
    data.eval = read_recipe_datasets(recipe, "data.eval", *data.bad);
  }

  datasets::PrepareOptions options;
  options.chat_template = chat_template(recipe);
  options.encode.max_length = recipe.integer("data.max_length");
  options.encode.truncation =
      recipe.str("data.truncation") == "error" ? language::TruncationPolicy::kError : language::TruncationPolicy::kDrop;
  options.media.frames = frame_sampling(recipe);
  auto visual = visual_settings(recipe);
  check_visual_samples(recipe, backbone, data);
  if (const auto video = first_video(data); !video.empty()) {
    visual.videos = true;
    visual.frames_where = cat("[recipe] ", recipe.where("data.num_frames"), ": data.num_frames / data.temporal (", video, " is a video sample)");
  }
  apply_visual_settings(backbone.loaded, visual, options);
  if (recipe.has("data.cache"))
    data.cache = std::make_shared<datasets::MediaCache>(datasets::MediaCache::open(recipe.file_path("data.cache"), options.media));
  data.preparer = std::make_shared<datasets::SamplePreparer>(backbone.tokenizer, options, data.cache.get());
  return data;
}

}  // namespace vltune::training
