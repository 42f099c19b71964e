// Hostile model folders and adapters (issue 12): each test is one attack an outside tester made,
// which crashed, hung, allocated gigabytes or read outside the folder before its fix. Every one
// must now end in a vltune::Error naming the file and key.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "adapters/module_regex.h"
#include "adapters/peft_io.h"
#include "core/atomic_file.h"
#include "core/checkpoint.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "multimodal/model_loader.h"
#include "test_support.h"

namespace vltune {
namespace {

namespace fs = std::filesystem;
using multimodal::load_model;
using test::data_path;
using test::expect_error;
using test::TempDir;

// A copy of a fixture's model folder whose config.json `edit` changes.
std::string edited_model(const TempDir& dir, const std::string& fixture, const std::function<void(nlohmann::json&)>& edit) {
  const std::string src = data_path(fixture + "/base");
  for (const auto& entry : fs::directory_iterator(src)) fs::copy_file(entry.path(), dir.path() / entry.path().filename());
  auto config = read_json_file(src + "/config.json");
  edit(config);
  write_file_atomically(dir.file("config.json"), config.dump());
  return dir.path().string();
}

// A copy of an adapter folder whose adapter_config.json `edit` changes.
std::string edited_adapter(const TempDir& dir, const std::string& adapter, const std::function<void(nlohmann::json&)>& edit) {
  const std::string src = data_path(adapter);
  fs::create_directories(dir.path() / "adapter");
  for (const auto& entry : fs::directory_iterator(src)) fs::copy_file(entry.path(), dir.path() / "adapter" / entry.path().filename());
  auto config = read_json_file(src + "/adapter_config.json");
  edit(config);
  write_file_atomically(dir.file("adapter/adapter_config.json"), config.dump());
  return dir.file("adapter");
}

// A safetensors file holding exactly `header` and `data` bytes.
void write_raw_safetensors(const std::string& path, const std::string& header, const std::string& data = "") {
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(length >> (8 * i)));
  out << header << data;
}

TEST(HostileSafetensors, ByteCountCannotWrapAround) {
  TempDir dir;
  // 2^62 F32 elements are 2^64 bytes, which wrapped to the 0 bytes data_offsets span.
  write_raw_safetensors(dir.file("wrap.safetensors"), R"({"t":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})");
  expect_error([&] { safetensors::File::open(dir.file("wrap.safetensors")); }, {"wrap.safetensors", "'t'", "too large"});
  // The same through a product of two dimensions, and with a zero-sized third.
  write_raw_safetensors(dir.file("wrap2.safetensors"),
                        R"({"t":{"dtype":"F64","shape":[2147483648,2147483648,0],"data_offsets":[0,0]}})");
  expect_error([&] { safetensors::File::open(dir.file("wrap2.safetensors")); }, {"too large"});
  // An honest empty tensor still opens.
  write_raw_safetensors(dir.file("empty.safetensors"), R"({"t":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]}})");
  EXPECT_EQ(safetensors::File::open(dir.file("empty.safetensors"))->tensor("t").numel(), 0);
}

TEST(HostileSafetensors, HeaderNestedDeeplyIsRefused) {
  TempDir dir;
  write_raw_safetensors(dir.file("deep.safetensors"), "{\"__metadata__\":" + std::string(200000, '[') + std::string(200000, ']') + "}");
  expect_error([&] { safetensors::File::open(dir.file("deep.safetensors")); }, {"deep.safetensors", "deeper than"});
}

TEST(HostileModels, NegativeMaxWindowLayersSlidesEveryLayer) {
  // transformers slides layer i when i >= max_window_layers; a negative value wrote before the
  // start of the per-layer table.
  auto config = read_json_file(data_path("hf-tiny-llava-siglip-qwen2/base/config.json"))["text_config"];
  config.erase("layer_types");
  config["use_sliding_window"] = true;
  config["sliding_window"] = 16;
  config["max_window_layers"] = -(int64_t{1} << 40);
  const auto text = language::parse_decoder_config(JsonView(config, "config.json", "text_config"));
  ASSERT_EQ(text.layer_window.size(), 2u);
  for (const auto& window : text.layer_window) EXPECT_EQ(window, 16);
  config["max_window_layers"] = 1;
  const auto half = language::parse_decoder_config(JsonView(config, "config.json", "text_config"));
  EXPECT_FALSE(half.layer_window[0].has_value());
  EXPECT_EQ(half.layer_window[1], 16);
}

TEST(HostileModels, ZeroVisionHeadsIsAnError) {
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [](auto& c) { c["vision_config"]["num_attention_heads"] = 0; });
  expect_error([&] { load_model(model); }, {"config.json", "'vision_config.num_attention_heads'", "out of range"});
}

TEST(HostileModels, HugeSizesAreRefusedBeforeAllocating) {
  for (const auto& entry : std::vector<std::pair<std::string, int64_t>>{
           {"hidden_size", 1000000000}, {"vocab_size", 1000000000}, {"num_hidden_layers", 1000000000},
           {"intermediate_size", 1000000000}, {"max_position_embeddings", -1}}) {
    TempDir dir;
    const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [&](auto& c) { c["text_config"][entry.first] = entry.second; });
    expect_error([&] { load_model(model); }, {"config.json", "'text_config." + entry.first + "'", "out of range"});
  }
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [](auto& c) { c["vision_config"]["image_size"] = 200000; });
  expect_error([&] { load_model(model); }, {"'vision_config.image_size'", "out of range"});
}

TEST(HostileModels, ConfigMuchLargerThanItsCheckpointIsRefused) {
  // Within every bound, but 1000 layers where the checkpoint holds 2: refused before the 1000
  // layers are built.
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [](auto& c) {
    c["text_config"]["num_hidden_layers"] = 1000;
    c["text_config"]["hidden_size"] = 4096;
    c["text_config"]["intermediate_size"] = 16384;
  });
  expect_error([&] { load_model(model); }, {"config.json", "describes a model of about", "is this config.json for this checkpoint?"});
}

TEST(HostileModels, RopeFactorZeroIsAnError) {
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llama3-text", [](auto& c) {
    auto& rope = c.contains("rope_parameters") ? c["rope_parameters"] : c["rope_scaling"];
    rope["factor"] = 0;
  });
  expect_error([&] { load_model(model); }, {"config.json", "factor'", "greater than 0"});
}

TEST(HostileModels, DeeplyNestedConfigValueIsRefused) {
  // Quoting the value in "expected an integer, found ..." recursed once per level.
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [](auto&) {});
  write_file_atomically(dir.file("config.json"),
                        R"({"model_type": )" + std::string(1000000, '[') + std::string(1000000, ']') + "}");
  expect_error([&] { load_model(model); }, {"config.json", "deeper than 100 levels"});
}

TEST(HostileModels, OversizedConfigIsRefusedUnread) {
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [](auto&) {});
  {
    std::ofstream out(dir.file("config.json"), std::ios::binary | std::ios::app);
    out << std::string(kMaxConfigFileBytes, ' ');
  }
  expect_error([&] { load_model(model); }, {"config.json", "-byte limit"});
}

TEST(HostileModels, FifoGivenAsConfigOrWeightsIsRefused) {
  TempDir dir;
  const auto model = edited_model(dir, "hf-tiny-llava-clip-llama", [](auto&) {});
  fs::remove(dir.file("config.json"));
  ASSERT_EQ(::mkfifo(dir.file("config.json").c_str(), 0600), 0);
  expect_error([&] { load_model(model); }, {"config.json", "FIFO"});
  ASSERT_EQ(::mkfifo(dir.file("weights.safetensors").c_str(), 0600), 0);
  expect_error([&] { safetensors::File::open(dir.file("weights.safetensors")); }, {"weights.safetensors", "not a regular file"});
}

TEST(HostileModels, ShardsOutsideTheFolderAreRefused) {
  TempDir outside, dir;
  const auto src = safetensors::File::open(data_path("hf-tiny-llava-clip-llama/base/model.safetensors"));
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  nlohmann::json weight_map;
  for (const auto& info : src->tensors()) {
    tensors.emplace_back(info.name, src->tensor(info.name));
    weight_map[info.name] = "model-00001.safetensors";
  }
  safetensors::write_file(outside.file("elsewhere.safetensors"), tensors);
  fs::copy_file(data_path("hf-tiny-llava-clip-llama/base/config.json"), dir.file("config.json"));
  write_file_atomically(dir.file("model.safetensors.index.json"), nlohmann::json{{"weight_map", weight_map}}.dump());
  // A symlink leaving the folder: followed before.
  fs::create_symlink(outside.file("elsewhere.safetensors"), dir.file("model-00001.safetensors"));
  expect_error([&] { Checkpoint::open(dir.path().string()); },
               {"model.safetensors.index.json", "model-00001.safetensors", "outside", "stay inside"});
  // The same file inside the folder loads.
  fs::remove(dir.file("model-00001.safetensors"));
  fs::copy_file(outside.file("elsewhere.safetensors"), dir.file("model-00001.safetensors"));
  EXPECT_EQ(Checkpoint::open(dir.path().string()).num_files(), 1u);
  // A hub cache snapshot may link into the cache's blobs/.
  TempDir hub;
  const auto snapshot = hub.path() / "snapshots" / "abc123";
  fs::create_directories(snapshot);
  fs::create_directories(hub.path() / "blobs");
  fs::copy_file(dir.file("model-00001.safetensors"), hub.path() / "blobs" / "sha");
  fs::copy_file(dir.file("model.safetensors.index.json"), snapshot / "model.safetensors.index.json");
  fs::create_symlink("../../blobs/sha", snapshot / "model-00001.safetensors");
  EXPECT_EQ(Checkpoint::open(snapshot.string()).num_files(), 1u);
}

TEST(HostileAdapters, VeraRankZeroIsAnError) {
  auto loaded = load_model(data_path("hf-tiny-llava-clip-llama/base"));
  TempDir dir;
  const auto adapter = edited_adapter(dir, "peft-vera/adapter", [](auto& c) { c["r"] = 0; });
  expect_error([&] { adapters::load_peft_adapter(adapter, *loaded.model, true); }, {"adapter_config.json", "'r'", "rank 0"});
}

TEST(HostileAdapters, HugeRankIsRefusedBeforeAllocating) {
  auto loaded = load_model(data_path("hf-tiny-llava-clip-llama/base"));
  TempDir dir;
  const auto vera = edited_adapter(dir, "peft-vera/adapter", [](auto& c) { c["r"] = 100000000; });
  expect_error([&] { adapters::load_peft_adapter(vera, *loaded.model, true); }, {"'r'", "rank 100000000", "between 1 and"});
}

TEST(HostileAdapters, CatastrophicTargetRegexEndsAtOnce) {
  auto loaded = load_model(data_path("hf-tiny-llava-clip-llama/base"));
  TempDir dir;
  // Nested quantifiers: a backtracking engine tries exponentially many splits of each name.
  const auto adapter = edited_adapter(dir, "hf-tiny-llava-clip-llama/adapter", [](auto& c) {
    c["target_modules"] = "(([a-z_.0-9]*)*)*X";
  });
  expect_error([&] { adapters::load_peft_adapter(adapter, *loaded.model, true); }, {"is not in target_modules"});
}

TEST(HostileAdapters, RegexFollowsPythonFullmatch) {
  using adapters::ModuleRegex;
  const std::string name = "model.language_model.layers.0.self_attn.q_proj";
  EXPECT_TRUE(ModuleRegex(".*language_model.*\\.(q_proj|v_proj)", "t").full_match(name));
  EXPECT_FALSE(ModuleRegex("q_proj", "t").full_match(name));  // fullmatch, not search
  EXPECT_FALSE(ModuleRegex("model", "t").full_match(name));   // nor a prefix match
  EXPECT_TRUE(ModuleRegex(R"(.*\.layers\.\d+\.self_attn\.q_proj\Z)", "t").full_match(name));
  EXPECT_TRUE(ModuleRegex("(?i).*Q_PROJ", "t").full_match(name));
  EXPECT_TRUE(ModuleRegex(R"(.*layers\.(?P<n>[0-9]+)\..*)", "t").full_match(name));
  expect_error([] { ModuleRegex(R"((q)_proj\1)", "[adapters] a.json: key 'target_modules'"); },
               {"a.json", "'target_modules'", R"(pattern '(q)_proj\1')", "backreferences"});
  expect_error([] { ModuleRegex("(?!k_proj).*", "[adapters] a.json"); }, {"(?!k_proj).*", "lookaround"});
}

TEST(HostileAdapters, RankPatternsAreMatchedTheSameWay) {
  auto loaded = load_model(data_path("hf-tiny-llava-clip-llama/base"));
  TempDir dir;
  // A rank_pattern key PEFT cannot match either (a backreference) names itself.
  const auto adapter = edited_adapter(dir, "hf-tiny-llava-clip-llama/adapter", [](auto& c) {
    c["rank_pattern"] = {{"(q)\\1", 2}};
  });
  expect_error([&] { adapters::load_peft_adapter(adapter, *loaded.model, true); }, {"'rank_pattern'", "(q)\\1"});
  // A wrongly typed value names the key.
  TempDir other;
  const auto typed = edited_adapter(other, "hf-tiny-llava-clip-llama/adapter", [](auto& c) {
    c["rank_pattern"] = nlohmann::json{{"q_proj", "four"}};
  });
  expect_error([&] { adapters::load_peft_adapter(typed, *loaded.model, true); }, {"rank_pattern.q_proj", "expected a number"});
}

}  // namespace
}  // namespace vltune
