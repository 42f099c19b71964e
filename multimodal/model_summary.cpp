#include "multimodal/model_summary.h"

#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "multimodal/model_components.h"

namespace vltune::multimodal {

namespace {
std::string leaf_of(const std::string& name) { return name.substr(name.rfind('.') + 1); }

std::string describe_architecture(const ModelConfig& c) {
  std::string text = c.model_type;
  if (c.has_vision()) text += " (" + c.vision->arch.model_type + " + " + c.text.arch.model_type + ")";
  if (c.qwen_vision) text += " (" + c.qwen_vision->arch.model_type + " vision + " + c.text.arch.model_type + ", M-RoPE)";
  return text;
}

// Qwen2-VL's tower: dynamic resolution, so tokens per image depend on its size.
std::string describe_qwen_vision(const ModelConfig& c) {
  const auto& v = *c.qwen_vision;
  std::ostringstream out;
  out << "vision        width " << v.hidden_size << ", " << v.depth << " blocks, patch " << v.patch_size << " x "
      << v.temporal_patch_size << " frames, merge " << v.spatial_merge_size << "x" << v.spatial_merge_size
      << " -> one token per " << v.patch_size * v.spatial_merge_size << "x" << v.patch_size * v.spatial_merge_size
      << " px";
  if (v.arch.windows) {
    out << "; windows of " << v.window_size << " px, full attention in blocks";
    for (int64_t block : v.fullatt_block_indexes) out << " " << block;
  }
  out << "\ntokens        image " << c.image_token_index << ", video " << c.video_token_index << ", vision start "
      << c.vision_start_token_id << ", end " << c.vision_end_token_id << "; mrope_section";
  for (int64_t s : c.text.rope.mrope_section) out << " " << s;
  out << "\n";
  return out.str();
}
}  // namespace

std::vector<LinearTarget> adapter_targets(VisionLanguageModelImpl& model) {
  std::vector<LinearTarget> targets;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    const auto* linear = item.value()->as<LinearImpl>();
    if (!linear) continue;
    const auto key = std::make_pair(component_of(item.key()), leaf_of(item.key()));
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, targets.size()).first;
      targets.push_back({key.first, key.second, 0, cat(linear->weight.sizes())});
    }
    ++targets[it->second].count;
  }
  return targets;
}

std::string describe_model(const LoadedModel& loaded) {
  auto& model = *loaded.model.ptr();
  const auto& c = loaded.config;
  std::ostringstream out;
  out << "model         " << loaded.dir << "\n";
  out << "architecture  " << describe_architecture(c) << "\n";
  out << "key layout    " << loaded.layout.name << " (" << loaded.report.tensors << " tensors loaded)\n";
  for (const auto& ignored : loaded.report.ignored) out << "ignored       " << ignored << "\n";
  if (c.has_vision())
    out << "images        " << c.vision->image_size << "x" << c.vision->image_size << " -> " << c.tokens_per_image()
        << " visual tokens (image_token_index " << c.image_token_index << ")\n";
  if (c.qwen_vision) out << describe_qwen_vision(c);
  out << "decoder       hidden " << c.text.hidden_size << ", heads " << c.text.num_heads << " (kv " << c.text.num_kv_heads
      << "), vocab " << c.text.vocab_size << ", rope " << c.text.rope.type << " theta " << c.text.rope.theta
      << (model.tied_embeddings() ? ", tied embeddings" : "") << "\n\n";

  struct Component {
    int64_t params = 0;
    std::set<std::string> dtypes;
  };
  std::map<std::string, Component> components;
  int64_t total = 0;
  for (const auto& item : model.named_parameters()) {
    auto& component = components[component_of_parameter(item.key())];
    component.params += item.value().numel();
    component.dtypes.insert(std::string(c10::toString(item.value().scalar_type())));
    total += item.value().numel();
  }
  const std::map<std::string, int64_t> layers = {
      {"vision", c.has_vision() ? c.vision->num_layers : c.qwen_vision ? c.qwen_vision->depth : 0},
      {"language", c.text.num_layers}};
  out << std::left << std::setw(24) << "component" << std::setw(8) << "layers" << std::setw(14) << "parameters"
      << "dtypes\n";
  for (const auto& [name, component] : components) {
    std::string dtypes;
    for (const auto& dtype : component.dtypes) dtypes += (dtypes.empty() ? "" : ",") + dtype;
    const auto it = layers.find(name);
    out << std::setw(24) << name << std::setw(8) << (it == layers.end() ? "-" : std::to_string(it->second))
        << std::setw(14) << component.params << dtypes << "\n";
  }
  out << std::setw(24) << "total" << std::setw(8) << "" << total << "\n\n";

  out << "adapter targets (linear modules, by component: the names placement rules take):\n";
  for (const auto& target : adapter_targets(model))
    out << "  " << std::setw(22) << target.component << std::setw(12) << target.leaf << "x" << std::setw(4)
        << target.count << target.shape << "\n";
  return out.str();
}

}  // namespace vltune::multimodal
