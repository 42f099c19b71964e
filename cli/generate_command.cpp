// `vltune generate --model DIR [--adapter DIR] [--image F | --video F] --prompt "..."`: answer one
// prompt (one user turn in a chat template) with greedy decoding, beam search or sampling, and
// print the answer. Text-only models take no --image / --video.
#include <iostream>

#include "adapters/peft_io.h"
#include "cli/commands.h"
#include "core/error.h"
#include "datasets/prepare.h"
#include "multimodal/generate.h"
#include "multimodal/model_loader.h"
#include "training/run_setup.h"

namespace vltune::cli {

namespace {

struct GenerateArgs {
  std::string model_dir, adapter_dir, tokenizer, image, video, prompt, chat_template = "llava_v1";
  std::string device = "cpu", dtype;
  language::GenerationOptions generation;
  int64_t num_frames = 8;
  multimodal::VideoPooling pooling;
  bool show_ids = false;
};

// The user turn: the prompt, with the visual placeholder put first when it does not name one.
std::string user_text(const GenerateArgs& args) {
  const std::string placeholder = !args.image.empty() ? "<image>" : !args.video.empty() ? "<video>" : "";
  if (placeholder.empty() || args.prompt.find(placeholder) != std::string::npos) return args.prompt;
  return placeholder + "\n" + args.prompt;
}

void run_generate(GenerateArgs args) {
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
  prepare.media.frames.num_frames = args.num_frames;
  training::VisualSettings visual;
  visual.pooling = args.pooling;
  visual.where = "[generate]";
  training::apply_visual_settings(loaded, visual, prepare);
  datasets::Sample sample;
  sample.id = "--prompt";
  if (!args.image.empty()) sample.images.push_back(args.image);
  sample.video = args.video;
  sample.turns = {{language::Role::kUser, user_text(args)}, {language::Role::kAssistant, ""}};
  const auto prompt = datasets::SamplePreparer(tokenizer, prepare).prepare_prompt(sample);

  std::unique_ptr<adapters::AdapterSet> set;
  if (!args.adapter_dir.empty()) {
    set = adapters::load_peft_adapter(args.adapter_dir, *loaded.model, config.multimodal());
    set->attach();
  }
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
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--adapter", args->adapter_dir, "PEFT adapter folder to apply")->check(CLI::ExistingDirectory);
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
  cmd->add_option("--num-frames", args->num_frames, "Frames sampled uniformly from the video")->capture_default_str();
  cmd->add_option("--spatial-pool", args->pooling.spatial, "Video: average-pool each frame's patch grid by this")
      ->capture_default_str();
  cmd->add_option("--temporal-pool", args->pooling.temporal, "Video: concat | mean over frames")->capture_default_str();
  cmd->add_option("--device", args->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--dtype", args->dtype, "float32 | bfloat16 | float16 (default: config.json's dtype)");
  cmd->add_flag("--show-ids", args->show_ids, "Also print the answer's token ids");
  cmd->callback([args] {
    language::check_generation_options(args->generation, "[generate]");
    run_generate(*args);
  });
}

}  // namespace vltune::cli
