// `vltune preprocess`: a Qwen2-VL model's own preprocessing of one image, a list of frames or a
// video, written as the tensors transformers' processor gives (pixel_values + image_grid_thw, or
// pixel_values_videos + video_grid_thw + second_per_grid_ts). vision/qwen_image_processor.h.
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "multimodal/model_config.h"
#include "vision/qwen_image_processor.h"

namespace vltune::cli {

namespace {

struct PreprocessArgs {
  std::string model_dir, image, video, out;
  std::vector<std::string> frames;
  double fps = 2.0;  // Qwen's default sampling rate for clips
  int64_t max_frames = 768;
};

void run_preprocess(const PreprocessArgs& args) {
  const auto config = multimodal::read_model_config(args.model_dir);
  if (!config.qwen_vision)
    fail("[preprocess] ", config.path, ": model_type '", config.model_type,
         "' has no Qwen2-VL processor (supported: qwen2_5_vl, qwen2_vl)");
  const auto processor = vision::qwen_processor_config(args.model_dir, *config.qwen_vision);
  std::vector<media::Image> frames;
  double seconds_per_frame = 1.0 / args.fps;
  if (!args.image.empty()) {
    frames.push_back(media::decode_image(args.image));
  } else if (!args.frames.empty()) {
    for (const auto& path : args.frames) frames.push_back(media::decode_image(path));
  } else {
    media::FrameSampling sampling;
    sampling.num_frames = 0;
    sampling.fps = args.fps;
    sampling.max_frames = args.max_frames;
    auto video = media::decode_video(args.video, sampling);
    if (video.frames.empty()) fail("[preprocess] ", args.video, ": no decodable frames");
    frames = std::move(video.frames);
  }
  const std::string what = !args.image.empty() ? args.image : !args.video.empty() ? args.video : "--frames";
  const auto pixels = vision::qwen_preprocess(frames, processor, what);
  const auto grid = torch::tensor({pixels.grid.t, pixels.grid.h, pixels.grid.w}, torch::kInt64).view({1, 3});
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  if (!args.image.empty()) {
    tensors = {{"pixel_values", pixels.pixel_values}, {"image_grid_thw", grid}};
  } else {
    const double per_grid = static_cast<double>(processor.temporal_patch_size) * seconds_per_frame;
    tensors = {{"pixel_values_videos", pixels.pixel_values}, {"video_grid_thw", grid},
               {"second_per_grid_ts", torch::tensor({per_grid}, torch::kFloat32)}};
  }
  safetensors::write_file(args.out, tensors);
  std::cout << "wrote " << args.out << ": " << tensors[0].first << " " << pixels.pixel_values.sizes() << ", grid (t, h, w) = ("
            << pixels.grid.t << ", " << pixels.grid.h << ", " << pixels.grid.w << "), "
            << pixels.grid.patches() / (processor.merge_size * processor.merge_size) << " visual tokens\n";
}

}  // namespace

void add_preprocess_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("preprocess", "Preprocess an image, frames or a video as a Qwen2-VL model's processor does");
  auto args = std::make_shared<PreprocessArgs>();
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder (Qwen2-VL / Qwen2.5-VL)")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* image = cmd->add_option("--image", args->image, "one image")->check(CLI::ExistingFile);
  auto* frames = cmd->add_option("--frames", args->frames, "a clip's frames, in order")->check(CLI::ExistingFile);
  auto* video = cmd->add_option("--video", args->video, "a video file, sampled at --fps")->check(CLI::ExistingFile);
  image->excludes(frames)->excludes(video);
  frames->excludes(video);
  cmd->add_option("--fps", args->fps, "frames per second taken from --video (and assumed for --frames)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-frames", args->max_frames, "at most this many frames from --video")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", args->out, "the safetensors file to write")->required();
  cmd->callback([args] {
    if (args->image.empty() && args->frames.empty() && args->video.empty())
      fail("[preprocess] give one of --image, --frames or --video");
    run_preprocess(*args);
  });
}

}  // namespace vltune::cli
