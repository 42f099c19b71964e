#include "vision/image_processor.h"

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/config_bounds.h"
#include "core/error.h"
#include "core/json_view.h"
#include "vision/resample.h"

namespace vltune::vision {

namespace {

// uint8 HWC -> float [1, 3, H, W] with values 0..255.
torch::Tensor to_tensor(const media::Image& image) {
  if (image.width <= 0 || image.height <= 0 || image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    fail("[image] an image of ", image.width, "x", image.height, " must hold width*height*3 bytes, holds ", image.rgb.size());
  auto hwc = torch::from_blob(const_cast<uint8_t*>(image.rgb.data()), {image.height, image.width, 3}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32);
}

torch::Tensor resize(const torch::Tensor& pixels, int64_t height, int64_t width) {
  namespace F = torch::nn::functional;
  auto out = F::interpolate(pixels, F::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{height, width})
                                        .mode(torch::kBicubic)
                                        .align_corners(false)
                                        .antialias(true));
  return out.round().clamp(0, 255);
}

std::array<double, 3> triple(const JsonView& json, const std::string& key, std::array<double, 3> fallback) {
  if (!json.has(key)) return fallback;
  const auto& node = json.raw()[key];
  if (node.is_number()) return {node.get<double>(), node.get<double>(), node.get<double>()};
  if (!node.is_array() || node.size() != 3 || !node[0].is_number() || !node[1].is_number() || !node[2].is_number())
    json.fail_at(key, "expected a number or three numbers, found " + node.dump());
  return {node[0].get<double>(), node[1].get<double>(), node[2].get<double>()};
}

// HF writes sizes as a number, {"shortest_edge": n} or {"height": h, "width": w}.
void read_size(const JsonView& json, const std::string& key, int64_t* shortest, int64_t* height, int64_t* width) {
  if (!json.has(key)) return;
  const auto& node = json.raw()[key];
  if (node.is_number_integer()) {
    *shortest = *height = *width = bounds::integer_in(json, key, 1, bounds::kMaxImageSide);
    return;
  }
  const auto size = json.child(key);
  if (size.has("shortest_edge")) *shortest = bounds::integer_in(size, "shortest_edge", 1, bounds::kMaxImageSide);
  if (size.has("height")) *height = bounds::integer_in(size, "height", 1, bounds::kMaxImageSide);
  if (size.has("width")) *width = bounds::integer_in(size, "width", 1, bounds::kMaxImageSide);
  if (!size.has("shortest_edge") && !(size.has("height") && size.has("width")))
    json.fail_at(key, "expected shortest_edge, or height and width");
}

}  // namespace

ImageProcessorConfig image_processor_config(const std::string& model_dir, const VisionConfig& tower) {
  ImageProcessorConfig c;
  c.shortest_edge = c.height = c.width = tower.image_size;
  if (!tower.arch.class_token) {  // SigLIP
    c.policy = ResizePolicy::kResize;
    c.mean = {0.5, 0.5, 0.5};
    c.std = {0.5, 0.5, 0.5};
  }
  const auto path = (std::filesystem::path(model_dir) / "preprocessor_config.json").string();
  if (!std::filesystem::exists(path)) return c;
  const auto document = read_json_file(path, kMaxConfigFileBytes);
  const JsonView json(document, path);
  c.mean = triple(json, "image_mean", c.mean);
  c.std = triple(json, "image_std", c.std);
  int64_t resize_h = c.height, resize_w = c.width;
  read_size(json, "size", &c.shortest_edge, &resize_h, &resize_w);
  const bool has_shortest = json.has("size") && json.raw()["size"].is_object() && json.raw()["size"].contains("shortest_edge");
  if (json.boolean_or("do_pad", false)) {
    c.policy = ResizePolicy::kPadToSquare;
    c.height = c.width = has_shortest ? c.shortest_edge : resize_h;
  } else if (json.boolean_or("do_center_crop", has_shortest)) {
    c.policy = ResizePolicy::kShortestEdgeCenterCrop;
    int64_t unused = 0;
    c.height = c.width = c.shortest_edge;
    read_size(json, "crop_size", &unused, &c.height, &c.width);
  } else {
    c.policy = ResizePolicy::kResize;
    c.height = resize_h;
    c.width = resize_w;
  }
  for (double s : c.std)
    if (!(s > 0) || !std::isfinite(s)) json.fail_at("image_std", "must be positive and finite");
  for (double m : c.mean)
    if (!std::isfinite(m)) json.fail_at("image_mean", "must be finite");
  // The tower's position embeddings fix the size of the pixels it takes.
  if (c.height != tower.image_size || c.width != tower.image_size)
    json.fail_at(c.policy == ResizePolicy::kShortestEdgeCenterCrop ? "crop_size" : "size",
                 cat("gives ", c.height, "x", c.width, " pixels but the vision tower takes ", tower.image_size, "x",
                     tower.image_size));
  return c;
}

torch::Tensor resize_image(const media::Image& image, const ImageProcessorConfig& c) {
  torch::NoGradGuard no_grad;
  auto pixels = to_tensor(image);
  const int64_t h = image.height, w = image.width;
  switch (c.policy) {
    case ResizePolicy::kShortestEdgeCenterCrop: {
      // The shorter side becomes shortest_edge; the other keeps the aspect ratio (truncated, as HF).
      const int64_t new_h = h <= w ? c.shortest_edge : static_cast<int64_t>(c.shortest_edge * static_cast<double>(h) / w);
      const int64_t new_w = h <= w ? static_cast<int64_t>(c.shortest_edge * static_cast<double>(w) / h) : c.shortest_edge;
      // An extreme aspect ratio would make the other side enormous (1x8192 to a 336 shortest edge: 336x2.7M).
      if (std::max(new_h, new_w) > bounds::kMaxImageSide)
        fail("[image] a ", w, "x", h, " image resized to a shortest edge of ", c.shortest_edge, " would be ", new_w, "x",
             new_h, ", over ", bounds::kMaxImageSide, " on a side (aspect ratio too extreme)");
      pixels = resize(pixels, new_h, new_w);
      const int64_t top = std::max<int64_t>(0, (new_h - c.height) / 2), left = std::max<int64_t>(0, (new_w - c.width) / 2);
      pixels = pixels.narrow(2, top, std::min(c.height, new_h)).narrow(3, left, std::min(c.width, new_w));
      break;
    }
    case ResizePolicy::kPadToSquare: {
      const int64_t side = std::max(h, w);
      auto square = torch::empty({1, 3, side, side});
      for (int ch = 0; ch < 3; ++ch) square[0][ch].fill_(static_cast<int>(c.mean[ch] * 255));
      square.narrow(2, (side - h) / 2, h).narrow(3, (side - w) / 2, w).copy_(pixels);
      pixels = resize(square, c.height, c.width);
      break;
    }
    case ResizePolicy::kResize:
      pixels = resize(pixels, c.height, c.width);
      break;
  }
  return pixels.squeeze(0).to(torch::kUInt8);
}

torch::Tensor resize_image_to(const media::Image& image, int64_t height, int64_t width) {
  if (height < 1 || width < 1 || height > std::numeric_limits<int>::max() / 3 || width > std::numeric_limits<int>::max() / 3)
    fail("[image] cannot resize to ", width, "x", height);
  const auto resized = resize_bicubic_antialias(image, static_cast<int>(height), static_cast<int>(width));
  auto hwc = torch::from_blob(const_cast<uint8_t*>(resized.rgb.data()), {resized.height, resized.width, 3}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).contiguous();
}

torch::Tensor normalize_pixels(const torch::Tensor& pixels, const ImageProcessorConfig& c) {
  // transformers 5's processors fold the 1/255 into the mean and std, in float32: (x - 255·mean) / (255·std).
  auto mean = torch::tensor({c.mean[0], c.mean[1], c.mean[2]}, torch::kFloat32).mul(255.0f).view({3, 1, 1});
  auto std = torch::tensor({c.std[0], c.std[1], c.std[2]}, torch::kFloat32).mul(255.0f).view({3, 1, 1});
  return (pixels.to(torch::kFloat32) - mean) / std;
}

torch::Tensor preprocess_image(const media::Image& image, const ImageProcessorConfig& c) {
  return normalize_pixels(resize_image(image, c), c);
}

}  // namespace vltune::vision
