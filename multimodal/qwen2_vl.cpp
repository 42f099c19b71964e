#include "multimodal/qwen2_vl.h"

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/layers.h"
#include "language/mrope_positions.h"
#include "multimodal/llava.h"

namespace vltune::multimodal {

namespace {

// The decoder's config: text_config, or (older Hub configs) the top level read as a *_text config.
language::DecoderConfig read_decoder(const JsonView& json, const std::string& model_type) {
  if (const auto nested = json.optional_child("text_config")) return language::parse_decoder_config(*nested);
  nlohmann::json flat = json.raw();
  flat["model_type"] = model_type + "_text";
  return language::parse_decoder_config(JsonView(flat, json.file()));
}

void check_mrope_section(const JsonView& json, const language::DecoderConfig& text) {
  const JsonView decoder = json.optional_child("text_config").value_or(json);
  std::optional<JsonView> rope = decoder.optional_child("rope_parameters");
  if (!rope || !rope->has("mrope_section")) rope = decoder.optional_child("rope_scaling");
  if (!rope || !rope->has("mrope_section"))
    decoder.fail_at("rope_parameters", "needs mrope_section (the rotary frequencies of time, rows and columns)");
  const auto& section = text.rope.mrope_section;
  const int64_t sum = std::accumulate(section.begin(), section.end(), int64_t{0});
  bool positive = section.size() == 3;
  for (int64_t s : section) positive = positive && s > 0;
  if (!positive || sum != text.head_dim / 2)
    rope->fail_at("mrope_section", cat("expected three positive sizes summing to head_dim / 2 = ", text.head_dim / 2,
                                       ", found ", section.size(), " summing to ", sum));
}

void check_pixels_and_grids(const torch::Tensor& pixels, const std::vector<vision::PatchGrid>& grids,
                            const std::string& pixels_name, const std::string& grid_name) {
  if (pixels.defined() && grids.empty()) fail("[qwen] ", pixels_name, " were given without ", grid_name);
  if (!pixels.defined() && !grids.empty()) fail("[qwen] ", grid_name, " was given without ", pixels_name);
}

// Each video's time ids per temporal patch (language/mrope_positions.h): Qwen2.5-VL's is
// tokens_per_second x int(second_per_grid_ts), with 1 second when none is given (transformers 5.17).
std::vector<int64_t> video_intervals(const ModelConfig& c, std::size_t videos, const torch::Tensor& seconds) {
  if (!c.qwen_vision->arch.timed_video) return std::vector<int64_t>(videos, 1);
  std::vector<int64_t> out(videos, c.qwen_vision->tokens_per_second);
  if (!seconds.defined()) return out;
  if (seconds.dim() != 1 || seconds.size(0) != static_cast<int64_t>(videos))
    fail("[qwen] second_per_grid_ts is ", seconds.sizes(), " but there are ", videos, " videos");
  const auto values = seconds.to(torch::kCPU, torch::kFloat64).contiguous();
  for (std::size_t v = 0; v < videos; ++v) {
    const double s = values[static_cast<int64_t>(v)].item<double>();
    if (!std::isfinite(s) || s < 0 || s > 1e6) fail("[qwen] second_per_grid_ts[", v, "] is ", s);
    out[v] = c.qwen_vision->tokens_per_second * static_cast<int64_t>(s);  // whole seconds, as transformers
  }
  return out;
}

}  // namespace

void read_qwen2_vl_config(const JsonView& json, ModelConfig& c) {
  c.text = read_decoder(json, c.model_type);
  check_mrope_section(json, c.text);
  const JsonView vision = json.child("vision_config");
  c.qwen_vision = vision::parse_qwen_vision_config(vision, c.model_type);
  check_activation_name(c.qwen_vision->hidden_act, json.file() + ": key '" + vision.key_path("hidden_act") + "'");
  if (c.qwen_vision->out_hidden_size != c.text.hidden_size)
    vision.fail_at(c.qwen_vision->arch.out_key, cat(c.qwen_vision->out_hidden_size,
                                                    " differs from the decoder's hidden_size ", c.text.hidden_size));
  c.image_token_index = json.integer_or("image_token_id", 151655);
  c.video_token_index = json.integer_or("video_token_id", 151656);
  c.vision_start_token_id = json.integer_or("vision_start_token_id", 151652);
  c.vision_end_token_id = json.integer_or("vision_end_token_id", 151653);
  c.tie_word_embeddings = json.boolean_or("tie_word_embeddings", c.text.tie_word_embeddings);
}

void build_qwen2_vl(VisionLanguageModelImpl& model, torch::Dtype dtype) {
  model.visual = model.register_module("visual", vision::QwenVisionTower(*model.config().qwen_vision, dtype));
}

vision::QwenProcessorConfig qwen2_vl_processor(const ModelConfig& config, const std::string& model_dir) {
  return vision::qwen_processor_config(model_dir, *config.qwen_vision);
}

std::vector<vision::PatchGrid> patch_grids(const torch::Tensor& grid_thw, const std::string& what) {
  if (!grid_thw.defined()) return {};
  if (grid_thw.dim() != 2 || grid_thw.size(1) != 3 || grid_thw.is_floating_point() || grid_thw.is_complex())
    fail("[qwen] ", what, " must be an integer [count, 3] tensor of (t, h, w), got ", grid_thw.sizes(), " ",
         grid_thw.scalar_type());
  const auto values = grid_thw.to(torch::kCPU, torch::kInt64).contiguous();
  const auto* v = values.data_ptr<int64_t>();
  std::vector<vision::PatchGrid> grids;
  for (int64_t i = 0; i < values.size(0); ++i) grids.push_back({v[3 * i], v[3 * i + 1], v[3 * i + 2]});
  return grids;
}

torch::Tensor qwen2_vl_position_ids(const ModelConfig& c, const torch::Tensor& input_ids,
                                    const torch::Tensor& attention_mask, const std::vector<vision::PatchGrid>& images,
                                    const std::vector<vision::PatchGrid>& videos,
                                    const torch::Tensor& second_per_grid_ts) {
  const int64_t merge = c.qwen_vision->spatial_merge_size;
  vision::check_grids(images, merge, "[qwen] image_grid_thw");
  vision::check_grids(videos, merge, "[qwen] video_grid_thw");
  language::VisionBlockQueue queue;
  for (const auto& g : images) queue.images.push_back({g.t, g.h / merge, g.w / merge, 1});
  const auto intervals = video_intervals(c, videos.size(), second_per_grid_ts);
  for (std::size_t v = 0; v < videos.size(); ++v)
    queue.videos.push_back({videos[v].t, videos[v].h / merge, videos[v].w / merge, intervals[v]});

  const auto ids = input_ids.to(torch::kCPU, torch::kInt64).contiguous();
  const auto mask = attention_mask.defined() ? attention_mask.to(torch::kCPU, torch::kInt64).contiguous()
                                             : torch::ones_like(ids);
  if (mask.sizes() != ids.sizes())
    fail("[qwen] attention_mask ", mask.sizes(), " does not match input_ids ", ids.sizes());
  const int64_t batch = ids.size(0), length = ids.size(1);
  auto positions = torch::zeros({3, batch, length}, torch::kInt64);
  auto out = positions.accessor<int64_t, 3>();
  const auto id = ids.accessor<int64_t, 2>();
  const auto keep = mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    // Each sample of the row on its own (a packed row's mask numbers them 1, 2, ...; a plain row has one).
    for (int64_t start = 0; start < length;) {
      const int64_t sample = keep[b][start];
      if (sample == 0) {
        ++start;
        continue;
      }
      std::vector<language::TokenKind> kinds;
      std::vector<int64_t> where;
      int64_t i = start;
      for (; i < length && (keep[b][i] == sample || keep[b][i] == 0); ++i) {
        if (keep[b][i] == 0) continue;
        where.push_back(i);
        kinds.push_back(id[b][i] == c.image_token_index   ? language::TokenKind::kImage
                        : id[b][i] == c.video_token_index ? language::TokenKind::kVideo
                                                          : language::TokenKind::kText);
      }
      const auto row = language::mrope_row_positions(
          kinds, queue, sample > 1 ? cat("[qwen] batch row ", b, ", packed sample ", sample) : cat("[qwen] batch row ", b));
      for (int axis = 0; axis < 3; ++axis)
        for (std::size_t k = 0; k < where.size(); ++k) out[axis][b][where[k]] = row.axes[axis][k];
      start = i;
    }
  }
  if (queue.next_image != images.size() || queue.next_video != videos.size())
    fail("[qwen] ", images.size(), " images and ", videos.size(), " videos were given, but input_ids hold runs of ",
         queue.next_image, " image and ", queue.next_video, " video tokens");
  return positions.to(input_ids.device());
}

VisualTokens encode_qwen2_vl(VisionLanguageModelImpl& model, const ForwardInputs& in) {
  const auto images = patch_grids(in.image_grid_thw, "image_grid_thw");
  const auto videos = patch_grids(in.video_grid_thw, "video_grid_thw");
  check_pixels_and_grids(in.pixel_values, images, "pixel_values", "image_grid_thw");
  check_pixels_and_grids(in.pixel_values_videos, videos, "pixel_values_videos", "video_grid_thw");
  VisualTokens out;
  // Positions first: a text that does not fit the grids fails before the tower runs.
  if (!images.empty() || !videos.empty())
    out.position_ids = qwen2_vl_position_ids(model.config(), in.input_ids, in.attention_mask, images, videos,
                                             in.second_per_grid_ts);
  if (!images.empty()) {
    out.image_features = model.visual(in.pixel_values, images, "pixel_values").merged;
    out.image = out.image_features.unsqueeze(0);
  }
  if (!videos.empty()) out.video = model.visual(in.pixel_values_videos, videos, "pixel_values_videos").merged.unsqueeze(0);
  return out;
}

}  // namespace vltune::multimodal
