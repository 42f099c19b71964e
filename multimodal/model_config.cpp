#include "multimodal/model_config.h"

#include <filesystem>

#include "core/config_bounds.h"
#include "core/error.h"
#include "multimodal/model_family.h"

namespace vltune::multimodal {

torch::Dtype parse_dtype(const std::string& name, const std::string& where) {
  if (name == "float32" || name == "fp32") return torch::kFloat32;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16") return torch::kFloat16;
  fail(where, ": unsupported dtype '", name, "' (expected float32, bfloat16 or float16)");
}

int64_t ModelConfig::tokens_per_image() const {
  if (!vision) return 0;
  return vision->num_positions() - (vision_feature_select_strategy == "default" ? 1 : 0);
}

double ModelConfig::parameter_count() const {
  const auto& t = text;
  const double hidden = static_cast<double>(t.hidden_size), inter = static_cast<double>(t.intermediate_size);
  const double attention = hidden * static_cast<double>(t.head_dim) * static_cast<double>(2 * t.num_heads + 2 * t.num_kv_heads);
  double count = static_cast<double>(t.vocab_size) * hidden * (tie_word_embeddings ? 1 : 2) + hidden +
                 static_cast<double>(t.num_layers) * (attention + 3 * hidden * inter + 2 * hidden);
  if (vision) {
    const auto& v = *vision;
    const double width = static_cast<double>(v.hidden_size);
    const double patch = static_cast<double>(v.patch_size);
    count += static_cast<double>(v.num_channels) * patch * patch * width + static_cast<double>(v.num_positions()) * width +
             static_cast<double>(v.num_layers) * (4 * width * width + 2 * width * static_cast<double>(v.intermediate_size));
  }
  if (qwen_vision) count += qwen_vision->parameter_count();
  if (projector)
    count += static_cast<double>(projector->in_features) * static_cast<double>(projector->out_features) +
             static_cast<double>(projector->out_features) * static_cast<double>(projector->out_features);
  return count;
}

namespace {

torch::Dtype config_dtype(const JsonView& json) {
  for (const char* key : {"dtype", "torch_dtype"})
    if (json.has(key)) return parse_dtype(json.str(key), cat(json.file(), ": key '", key, "'"));
  return torch::kFloat32;
}

}  // namespace

void read_llava(const JsonView& json, ModelConfig& c) {
  c.vision = vision::parse_vision_config(json.child("vision_config"));
  const JsonView text = json.child("text_config");
  c.text = language::parse_decoder_config(text);
  c.image_token_index = json.has("image_token_index") ? json.integer("image_token_index")
                                                      : json.integer_or("image_token_id", 32000);
  c.vision_feature_layers = json.has("vision_feature_layer") ? json.integers("vision_feature_layer")
                                                             : std::vector<int64_t>{-2};
  c.vision_feature_select_strategy = json.str_or("vision_feature_select_strategy", "default");
  if (c.vision_feature_select_strategy != "default" && c.vision_feature_select_strategy != "full")
    json.fail_at("vision_feature_select_strategy", "expected 'default' or 'full', found '" +
                                                       c.vision_feature_select_strategy + "'");
  const int64_t states = c.vision->num_layers + 1;
  for (int64_t layer : c.vision_feature_layers)
    if (layer < -states || layer >= states)
      json.fail_at("vision_feature_layer", cat(layer, " is out of range for ", c.vision->num_layers, " vision layers"));
  ProjectorConfig projector;
  projector.in_features = c.vision->hidden_size * static_cast<int64_t>(c.vision_feature_layers.size());
  projector.out_features = c.text.hidden_size;
  projector.act = json.str_or("projector_hidden_act", "gelu");
  check_activation_name(projector.act, json.file() + ": key 'projector_hidden_act'");
  projector.bias = json.boolean_or("multimodal_projector_bias", true);
  c.projector = projector;
  c.tie_word_embeddings = json.boolean_or("tie_word_embeddings", c.text.tie_word_embeddings);
}

ModelConfig read_model_config(const std::string& model_dir) {
  const auto path = (std::filesystem::path(model_dir) / "config.json").string();
  if (!std::filesystem::exists(path))
    fail("[model] ", model_dir, ": no config.json (expected a Hugging Face model folder)");
  return parse_model_config(read_json_file(path, kMaxConfigFileBytes), path);
}

ModelConfig parse_model_config(const nlohmann::json& document, const std::string& path) {
  ModelConfig c;
  c.path = path;
  const JsonView json(document, c.path);
  c.model_type = json.str("model_type");
  c.dtype = config_dtype(json);
  if (const ModelFamily* family = find_model_family(c.model_type)) {
    family->read_config(json, c);
  } else {
    try {
      language::decoder_arch(c.model_type);
    } catch (const Error&) {
      std::string known;
      for (const auto& f : model_families())
        for (const auto& type : f.model_types) known += type + ", ";
      for (const auto& arch : language::decoder_archs()) known += arch.model_type + ", ";
      known.resize(known.size() - 2);
      json.fail_at("model_type", "'" + c.model_type + "' is not supported (supported: " + known + ")");
    }
    c.text = language::parse_decoder_config(json);
    c.tie_word_embeddings = c.text.tie_word_embeddings;
  }
  if (c.parameter_count() > static_cast<double>(bounds::kMaxParameters))
    fail("[model] ", c.path, ": describes a model of ", c.parameter_count(), " parameters, more than the ",
         bounds::kMaxParameters, " vltune accepts");
  return c;
}

}  // namespace vltune::multimodal
