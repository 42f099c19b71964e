// `vltune generate --model DIR [--adapter DIR] [--image F | --video F] --prompt "..."`: answer one
// prompt (one user turn in a chat template) with greedy decoding, beam search or sampling, and
// print the answer. Text-only models take no --image / --video. An adapter from a run (the run
// directory, a checkpoint folder, or its adapter/ folder) brings the run's model, chat template,
// frame sampling and pooling, unless the command line gives them.
#include <iostream>
#include <optional>
#include <set>

#include "adapters/adapter_set.h"
#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "datasets/prepare.h"
#include "multimodal/generate.h"
#include "multimodal/model_loader.h"
#include "training/run_directory.h"
#include "training/run_setup.h"

namespace vltune::cli {

namespace {

struct GenerateArgs {
  std::string model_dir, adapter_dir, tokenizer, image, video, prompt, chat_template = "llava_v1";
  std::string device = "cpu", dtype;
  language::GenerationOptions generation;
  media::FrameSampling frames;  // 8 frames unless a run or --num-frames says otherwise
  multimodal::VideoPooling pooling;
  bool show_ids = false;
  std::set<std::string> given;  // the options of kRunSettings given on the command line
};

// The options a run's recipe supplies when the command line does not.
const char* const kRunSettings[] = {"--template", "--num-frames", "--spatial-pool", "--temporal-pool"};

// `value` as given, or the run's when not given; a given one that differs from the run's is warned about.
template <typename T>
void keep_or_take(const GenerateArgs& args, const char* option, T& value, const T& run_value, const std::string& key) {
  if (!args.given.count(option)) {
    value = run_value;
  } else if (value != run_value) {
    log_warning(cat(option, " ", value, " differs from the ", run_value, " of ", key, ", which the adapter was trained with"));
  }
}

// An adapter from a run generates as the run trained: its model (unless --model), chat template,
// frame sampling and pooling (unless given).
void take_run_settings(GenerateArgs& args, const std::string& run_dir) {
  const auto recipe = training::run_recipe(run_dir);
  if (args.model_dir.empty()) args.model_dir = recipe.file_path("model.path");
  const auto frames = training::frame_sampling(recipe);
  const auto pooling = training::video_pooling(recipe);
  const auto own = recipe.path();
  keep_or_take(args, "--template", args.chat_template, training::chat_template(recipe), own + " data.template");
  keep_or_take(args, "--num-frames", args.frames.num_frames, frames.num_frames, own + " data.num_frames");
  keep_or_take(args, "--spatial-pool", args.pooling.spatial, pooling.spatial, own + " data.spatial_pool");
  keep_or_take(args, "--temporal-pool", args.pooling.temporal, pooling.temporal, own + " data.temporal");
  args.frames.fps = frames.fps;
  args.frames.max_frames = frames.max_frames;
  log_info(cat("generating as ", run_dir, " trained: template ", args.chat_template, ", ", args.frames.num_frames,
               " frames, spatial pool ", args.pooling.spatial, ", temporal ", args.pooling.temporal));
}

// The user turn: the prompt, with the visual placeholder put first when it does not name one.
std::string user_text(const GenerateArgs& args) {
  const std::string placeholder = !args.image.empty() ? "<image>" : !args.video.empty() ? "<video>" : "";
  if (placeholder.empty() || args.prompt.find(placeholder) != std::string::npos) return args.prompt;
  return placeholder + "\n" + args.prompt;
}

void run_generate(GenerateArgs args) {
  std::string adapter_dir;
  if (!args.adapter_dir.empty()) {
    const auto source = training::resolve_adapter(args.adapter_dir);
    adapter_dir = source.adapter_dir;
    if (!source.run_dir.empty()) take_run_settings(args, source.run_dir);
  }
  if (args.model_dir.empty()) fail("[generate] --model DIR is required, unless --adapter comes from a run (its model.path)");
  multimodal::LoadOptions load;
  load.device = training::parse_device(args.device, "--device");
  if (!args.dtype.empty()) load.dtype = multimodal::parse_dtype(args.dtype, "--dtype");
  auto loaded = multimodal::load_model(args.model_dir, load);
  const auto& config = loaded.config;
  if (!config.multimodal() && !(args.image.empty() && args.video.empty()))
    fail("[generate] ", args.model_dir, " is a text-only model: it takes no --image or --video");
  auto tokenizer = args.tokenizer.empty() ? language::Tokenizer::from_model_dir(args.model_dir)
                                          : language::Tokenizer::load(args.tokenizer);
  if (tokenizer.vocab_size() > config.text.vocab_size)
    fail("[generate] ", tokenizer.path(), " has ", tokenizer.vocab_size(), " pieces but the model's vocabulary is ",
         config.text.vocab_size, ": the tokenizer does not belong to ", args.model_dir);

  datasets::PrepareOptions prepare;
  prepare.chat_template = args.chat_template;
  prepare.media.frames = args.frames;
  training::VisualSettings visual;
  visual.pooling = args.pooling;
  visual.videos = !args.video.empty();
  visual.where = "[generate]";
  visual.frames_where = "[generate] --num-frames / --temporal-pool";
  training::apply_visual_settings(loaded, visual, prepare);
  datasets::Sample sample;
  sample.id = "--prompt";
  if (!args.image.empty()) sample.images.push_back(args.image);
  sample.video = args.video;
  sample.turns = {{language::Role::kUser, user_text(args)}, {language::Role::kAssistant, ""}};
  const auto prompt = datasets::SamplePreparer(tokenizer, prepare).prepare_prompt(sample);

  std::optional<adapters::AttachedSet> attached;
  if (!adapter_dir.empty()) attached.emplace(adapters::load_peft_adapter(adapter_dir, *loaded.model, config.multimodal()));
  if (args.generation.eos_token_ids.empty()) args.generation.eos_token_ids = multimodal::eos_token_ids(args.model_dir);
  if (tokenizer.eos_id() >= 0) args.generation.eos_token_ids.push_back(tokenizer.eos_id());
  const auto answer = multimodal::generate(*loaded.model, prompt, args.generation, args.pooling);
  std::cout << tokenizer.decode(answer) << "\n";
  if (args.show_ids) {
    std::cout << "ids:";
    for (int64_t id : answer) std::cout << " " << id;
    std::cout << "\n";
  }
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Answer a prompt (with an image or a video) with a KV-cached decoder");
  auto args = std::make_shared<GenerateArgs>();
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder (default, with --adapter from a run: the run's model.path)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--adapter", args->adapter_dir,
                  "Adapter to apply: a run directory (its newest checkpoint), a checkpoint folder, or a PEFT folder. From a run, "
                  "the run's chat template, frame sampling and pooling apply unless given here")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--tokenizer", args->tokenizer, "A tokenizer.json or tokenizer.model (default: the model folder's)")->check(CLI::ExistingFile);
  auto* image = cmd->add_option("--image", args->image, "An image the prompt is about")->check(CLI::ExistingFile);
  auto* video = cmd->add_option("--video", args->video, "A video file or a folder of frames")->check(CLI::ExistingPath);
  image->excludes(video);
  cmd->add_option("--prompt", args->prompt, "The question; <image> / <video> mark where the media goes (default: first)")
      ->required();
  cmd->add_option("--template", args->chat_template, "Chat template: plain | llava_v1 | llama2 | chatml")->capture_default_str();
  cmd->add_option("--strategy", args->generation.strategy, "greedy | beam | sample")->capture_default_str();
  cmd->add_option("--max-new-tokens", args->generation.max_new_tokens, "At most this many new tokens")->capture_default_str();
  cmd->add_option("--num-beams", args->generation.num_beams, "Beams (beam)")->capture_default_str();
  cmd->add_option("--temperature", args->generation.temperature, "Softmax temperature (sample)")->capture_default_str();
  cmd->add_option("--top-p", args->generation.top_p, "Nucleus mass kept (sample)")->capture_default_str();
  cmd->add_option("--seed", args->generation.seed, "Seed of the sampler (sample)")->capture_default_str();
  cmd->add_option("--eos", args->generation.eos_token_ids,
                  "Ids that end the answer (default: generation_config.json's eos_token_id; the tokenizer's EOS always)");
  cmd->add_option("--num-frames", args->frames.num_frames, "Frames sampled uniformly from the video")->capture_default_str();
  cmd->add_option("--spatial-pool", args->pooling.spatial, "Video: average-pool each frame's patch grid by this")
      ->capture_default_str();
  cmd->add_option("--temporal-pool", args->pooling.temporal, "Video: concat | mean over frames")->capture_default_str();
  cmd->add_option("--device", args->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--dtype", args->dtype, "float32 | bfloat16 | float16 (default: config.json's dtype)");
  cmd->add_flag("--show-ids", args->show_ids, "Also print the answer's token ids");
  cmd->callback([args, cmd] {
    for (const char* option : kRunSettings)
      if (cmd->count(option) > 0) args->given.insert(option);
    language::check_generation_options(args->generation, "[generate]");
    run_generate(*args);
  });
}

}  // namespace vltune::cli
