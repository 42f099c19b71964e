#include "multimodal/model_export.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/safetensors.h"

namespace fs = std::filesystem;

namespace vltune::multimodal {

namespace {
// The small files of an HF model folder that describe it rather than hold weights.
const std::vector<std::string> kCompanionFiles = {
    "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
    "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.json"};

void copy_atomically(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  write_file_atomically(to.string(), content.str());
}
}  // namespace

void export_model(const LoadedModel& loaded, const std::string& out_dir, uint64_t max_shard_bytes) {
  fs::create_directories(out_dir);
  if (fs::equivalent(fs::path(out_dir), fs::path(loaded.dir)))
    fail("[export] refusing to write into the source model folder ", loaded.dir, ": choose another --out");
  for (const auto& entry : fs::directory_iterator(out_dir))
    if (entry.path().extension() == ".safetensors" || entry.path().filename() == "model.safetensors.index.json")
      fail("[export] ", out_dir, " already holds model weights (", entry.path().filename().string(),
           "); choose an empty folder so no stale shard is mixed in");

  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> shards(1);
  uint64_t shard_bytes = 0;
  for (const auto& item : loaded.model->named_parameters()) {
    const auto name = loaded.layout.to_checkpoint(item.key());
    if (name.empty()) fail("[export] no checkpoint name for module tensor '", item.key(), "' in the ", loaded.layout.name, " layout");
    const uint64_t bytes = item.value().numel() * item.value().element_size();
    if (shard_bytes > 0 && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().emplace_back(name, item.value().detach());
    shard_bytes += bytes;
  }
  for (const auto& name : kCompanionFiles)
    if (fs::exists(fs::path(loaded.dir) / name)) copy_atomically(fs::path(loaded.dir) / name, fs::path(out_dir) / name);

  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"exported_by", "vltune"}};
  if (shards.size() == 1) {
    safetensors::write_file((fs::path(out_dir) / "model.safetensors").string(), shards[0], metadata);
    return;
  }
  nlohmann::json weight_map;
  uint64_t total = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    char file[64];
    std::snprintf(file, sizeof(file), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    safetensors::write_file((fs::path(out_dir) / file).string(), shards[i], metadata);
    for (const auto& [name, tensor] : shards[i]) {
      weight_map[name] = file;
      total += tensor.numel() * tensor.element_size();
    }
  }
  write_file_atomically((fs::path(out_dir) / "model.safetensors.index.json").string(),
                        nlohmann::json{{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}}.dump(2) + "\n");
}

}  // namespace vltune::multimodal
