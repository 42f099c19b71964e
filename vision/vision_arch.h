// Vision tower architectures, registered as data: what distinguishes CLIP from SigLIP is a
// handful of switches, not separate code. To add a tower, add a row to vision_archs() in
// vision_arch.cpp (docs/add-a-model.md).
#pragma once
#include <string>
#include <vector>

#include "core/json_view.h"

namespace vltune::vision {

struct VisionArch {
  std::string model_type;       // config.json "model_type"
  bool class_token;             // prepends a learned CLS embedding
  bool patch_bias;              // the patch convolution has a bias
  bool pre_layernorm;           // "pre_layrnorm" after the embeddings (CLIP)
  bool pooling_head;            // attention-pooling head (SigLIP's "head", if vision_use_head)
  std::string default_act;
};

const std::vector<VisionArch>& vision_archs();
const VisionArch& vision_arch(const std::string& model_type);  // throws listing known types

struct VisionConfig {
  VisionArch arch;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t image_size = 0;
  int64_t patch_size = 0;
  int64_t num_channels = 3;
  double layer_norm_eps = 1e-5;
  std::string hidden_act;
  bool use_head = false;

  int64_t num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
  int64_t num_positions() const { return num_patches() + (arch.class_token ? 1 : 0); }
};

VisionConfig parse_vision_config(const JsonView& json);

}  // namespace vltune::vision
