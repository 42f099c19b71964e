#include "vision/qwen_image_processor.h"

#include <filesystem>

#include "core/error.h"
#include "core/json_view.h"
#include "vision/image_processor.h"

namespace vltune::vision {

namespace {
std::array<double, 3> triple_or(const JsonView& json, const std::string& key, std::array<double, 3> fallback) {
  if (!json.has(key)) return fallback;
  const auto& node = json.raw()[key];
  if (!node.is_array() || node.size() != 3 || !node[0].is_number() || !node[1].is_number() || !node[2].is_number())
    json.fail_at(key, "expected three numbers, found " + node.dump());
  return {node[0].get<double>(), node[1].get<double>(), node[2].get<double>()};
}
}  // namespace

QwenProcessorConfig qwen_processor_config(const std::string& model_dir, const QwenVisionConfig& tower) {
  QwenProcessorConfig c;
  c.patch_size = tower.patch_size;
  c.temporal_patch_size = tower.temporal_patch_size;
  c.merge_size = tower.spatial_merge_size;
  const auto path = (std::filesystem::path(model_dir) / "preprocessor_config.json").string();
  if (!std::filesystem::exists(path)) return c;
  const auto document = read_json_file(path);
  const JsonView json(document, path);
  c.min_pixels = json.integer_or("min_pixels", c.min_pixels);
  c.max_pixels = json.integer_or("max_pixels", c.max_pixels);
  if (const auto size = json.optional_child("size")) {
    c.min_pixels = size->integer_or("shortest_edge", c.min_pixels);
    c.max_pixels = size->integer_or("longest_edge", c.max_pixels);
  }
  c.mean = triple_or(json, "image_mean", c.mean);
  c.std = triple_or(json, "image_std", c.std);
  for (double s : c.std)
    if (!(s > 0)) json.fail_at("image_std", "must be positive");
  if (c.min_pixels <= 0 || c.max_pixels < c.min_pixels)
    json.fail_at("max_pixels", cat("expected 0 < min_pixels <= max_pixels, found ", c.min_pixels, " and ", c.max_pixels));
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"patch_size", c.patch_size},
                                   {"temporal_patch_size", c.temporal_patch_size}, {"merge_size", c.merge_size}})
    if (json.has(key) && json.integer(key) != value)
      json.fail_at(key, cat(json.integer(key), " differs from the vision tower's ", value));
  return c;
}

torch::Tensor qwen_resize(const std::vector<media::Image>& frames, const QwenProcessorConfig& c, const std::string& what) {
  torch::NoGradGuard no_grad;
  if (frames.empty()) fail(what, ": no frames to preprocess");
  const auto& first = frames.front();
  for (std::size_t i = 1; i < frames.size(); ++i)
    if (frames[i].width != first.width || frames[i].height != first.height)
      fail(what, ": frame ", i, " is ", frames[i].width, "x", frames[i].height, " but frame 0 is ", first.width, "x",
           first.height);
  const auto size = smart_resize(first.height, first.width, c.patch_size * c.merge_size, c.min_pixels, c.max_pixels, what);
  std::vector<torch::Tensor> resized;
  for (const auto& frame : frames) resized.push_back(resize_image_to(frame, size.height, size.width));
  return torch::stack(resized);
}

QwenPixels qwen_patches(const torch::Tensor& frames, const QwenProcessorConfig& c, const std::string& what) {
  torch::NoGradGuard no_grad;
  const int64_t tp = c.temporal_patch_size, p = c.patch_size, m = c.merge_size;
  if (frames.dim() != 4 || frames.size(0) < 1 || frames.size(1) != 3 || frames.size(2) < p * m || frames.size(3) < p * m ||
      frames.size(2) % (p * m) != 0 || frames.size(3) % (p * m) != 0)
    fail(what, ": resized frames of shape ", frames.sizes(), ", expected [frames, 3, H, W] with H and W multiples of ", p * m);
  std::vector<torch::Tensor> padded{frames};
  const int64_t missing = (tp - frames.size(0) % tp) % tp;  // pad with the last frame
  if (missing > 0) padded.push_back(frames.narrow(0, frames.size(0) - 1, 1).expand({missing, -1, -1, -1}));
  ImageProcessorConfig values;
  values.mean = c.mean;
  values.std = c.std;
  const auto pixels = normalize_pixels(torch::cat(padded), values);  // [T, 3, H, W]
  const int64_t t = pixels.size(0) / tp, h = pixels.size(2) / p, w = pixels.size(3) / p, channels = pixels.size(1);
  const auto patches = pixels.reshape({t, tp, channels, h / m, m, p, w / m, m, p})
                           .permute({0, 3, 6, 4, 7, 2, 1, 5, 8})
                           .reshape({t * h * w, channels * tp * p * p});
  return {patches.contiguous(), {t, h, w}};
}

QwenPixels qwen_preprocess(const std::vector<media::Image>& frames, const QwenProcessorConfig& c, const std::string& what) {
  return qwen_patches(qwen_resize(frames, c, what), c, what);
}

}  // namespace vltune::vision
