// core/: safetensors reading and writing (including hostile files), atomic writes, sharded
// checkpoints, strict loading and config-key errors.
#include <fstream>

#include "core/atomic_file.h"
#include "core/checkpoint.h"
#include "core/json_view.h"
#include "core/layers.h"
#include "core/safetensors.h"
#include "test_support.h"

namespace vltune {
namespace {

using test::expect_error;
using test::TempDir;

// Writes a safetensors file by hand: length prefix (or `declared_length`), header, data.
void write_raw(const std::string& path, const std::string& header, const std::string& data,
               std::optional<uint64_t> declared_length = std::nullopt) {
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = declared_length.value_or(header.size());
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out << header << data;
}

TEST(Safetensors, RoundTripsEveryDtype) {
  TempDir dir;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto dtype : {torch::kFloat32, torch::kFloat16, torch::kBFloat16, torch::kFloat64, torch::kInt64, torch::kInt32,
                     torch::kInt16, torch::kInt8, torch::kUInt8, torch::kBool}) {
    auto values = torch::arange(12, torch::kFloat64).reshape({3, 4}).remainder(2 + 3).to(dtype);
    tensors.emplace_back(std::string("t_") + c10::toString(dtype), values);
  }
  tensors.emplace_back("scalar", torch::tensor(3.5));
  tensors.emplace_back("empty", torch::empty({0, 5}));
  safetensors::write_file(dir.file("a.safetensors"), tensors, {{"format", "pt"}, {"note", "x"}});

  auto file = safetensors::File::open(dir.file("a.safetensors"));
  EXPECT_EQ(file->metadata().at("note"), "x");
  ASSERT_EQ(file->tensors().size(), tensors.size());
  for (const auto& [name, expected] : tensors) {
    auto loaded = file->tensor(name);
    EXPECT_EQ(loaded.scalar_type(), expected.scalar_type()) << name;
    EXPECT_EQ(loaded.sizes(), expected.sizes()) << name;
    EXPECT_TRUE(torch::equal(loaded, expected)) << name;
  }
}

TEST(Safetensors, WritesToLoadedTensorsNeverReachTheFile) {
  TempDir dir;
  safetensors::write_file(dir.file("w.safetensors"), {{"w", torch::ones({4, 4})}});
  {
    auto file = safetensors::File::open(dir.file("w.safetensors"));
    file->tensor("w").add_(1);
  }
  auto again = safetensors::File::open(dir.file("w.safetensors"));
  EXPECT_TRUE(torch::equal(again->tensor("w"), torch::ones({4, 4})));
}

TEST(Safetensors, TensorOutlivesTheFileHandle) {
  TempDir dir;
  safetensors::write_file(dir.file("w.safetensors"), {{"w", torch::full({8}, 2.0)}});
  torch::Tensor kept = safetensors::File::open(dir.file("w.safetensors"))->tensor("w");
  EXPECT_EQ(kept.sum().item<double>(), 16.0);
}

TEST(Safetensors, RejectsDuplicateAndReservedNamesOnWrite) {
  TempDir dir;
  expect_error([&] { safetensors::write_file(dir.file("d.safetensors"), {{"a", torch::ones(1)}, {"a", torch::ones(1)}}); },
               {"d.safetensors", "'a' appears twice"});
  expect_error([&] { safetensors::write_file(dir.file("d.safetensors"), {{"__metadata__", torch::ones(1)}}); },
               {"reserved"});
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.safetensors")));
}

struct HostileCase {
  const char* label;
  std::string header;
  std::string data;
  std::optional<uint64_t> declared_length;
  std::vector<std::string> fragments;
};

TEST(Safetensors, HostileFilesGetClearErrors) {
  TempDir dir;
  const std::string ok_entry = R"("w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
  const std::vector<HostileCase> cases = {
      {"truncated data", "{" + ok_entry + "}", std::string(10, '\0'), std::nullopt,
       {"'w'", "data section holds only 10 bytes", "truncated"}},
      {"header length beyond the file", "{" + ok_entry + "}", std::string(16, '\0'), 4096,
       {"header length 4096 runs past the end"}},
      {"malformed JSON", R"({"w":{"dtype":"F32",)", "", std::nullopt, {"header is not valid JSON"}},
      {"header not an object", "[1,2,3]", "", std::nullopt, {"header must be a JSON object"}},
      {"offsets out of range", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[100,108]}})", std::string(16, '\0'),
       std::nullopt, {"'w'", "[100, 108)", "holds only 16 bytes"}},
      {"offsets reversed", R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", std::string(16, '\0'),
       std::nullopt, {"begin 8 is after end 4"}},
      {"overlapping tensors",
       R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
       std::string(16, '\0'), std::nullopt, {"'a'", "'b'", "overlap"}},
      {"unknown dtype", R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}})", std::string(2, '\0'), std::nullopt,
       {"unknown dtype 'Q4'", "'w'"}},
      {"shape disagrees with bytes", R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
       std::string(12, '\0'), std::nullopt, {"needs 16 bytes but data_offsets span 12"}},
      {"negative dimension", R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'),
       std::nullopt, {"negative dimension"}},
      {"missing data_offsets", R"({"w":{"dtype":"F32","shape":[1]}})", std::string(4, '\0'), std::nullopt,
       {"missing key 'data_offsets'"}},
      {"huge header", "{}", "", uint64_t{1} << 40, {"exceeds the", "limit"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    const std::string path = dir.file("hostile.safetensors");
    write_raw(path, c.header, c.data, c.declared_length);
    std::vector<std::string> fragments = c.fragments;
    fragments.push_back(path);
    try {
      safetensors::File::open(path);
      ADD_FAILURE() << "opened a hostile file";
    } catch (const Error& e) {
      for (const auto& fragment : fragments)
        EXPECT_THAT(std::string(e.what()), HasSubstr(fragment)) << e.what() << "\nlacks: " << fragment;
    }
  }
}

TEST(Safetensors, TruncatedBelowTheLengthPrefix) {
  TempDir dir;
  std::ofstream(dir.file("tiny.safetensors"), std::ios::binary) << "abc";
  expect_error([&] { safetensors::File::open(dir.file("tiny.safetensors")); },
               {dir.file("tiny.safetensors"), "3 bytes, too short"});
  expect_error([&] { safetensors::File::open(dir.file("absent.safetensors")); }, {"absent.safetensors", "cannot open"});
}

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporaries) {
  TempDir dir;
  const auto path = dir.file("out.txt");
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "second");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(AtomicFile, AbandonedWriteKeepsTheOldFile) {
  TempDir dir;
  const auto path = dir.file("keep.txt");
  write_file_atomically(path, "old");
  {
    AtomicFile file(path);
    file.write("partial new content");
  }  // destroyed without commit
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(Checkpoint, ReadsShardsThroughTheIndex) {
  TempDir dir;
  safetensors::write_file(dir.file("model-00001-of-00002.safetensors"), {{"a", torch::ones({2})}});
  safetensors::write_file(dir.file("model-00002-of-00002.safetensors"), {{"b", torch::zeros({3})}});
  write_file_atomically(dir.file("model.safetensors.index.json"),
                        R"({"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})");
  auto ckpt = Checkpoint::open(dir.path().string());
  EXPECT_EQ(ckpt.num_files(), 2u);
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(torch::equal(ckpt.tensor("b"), torch::zeros({3})));
}

TEST(Checkpoint, BadIndexesNameTheProblem) {
  TempDir dir;
  safetensors::write_file(dir.file("s1.safetensors"), {{"a", torch::ones({2})}});
  write_file_atomically(dir.file("model.safetensors.index.json"), R"({"weight_map":{"a":"s2.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path().string()); }, {"weight_map.a", "s2.safetensors does not exist"});
  write_file_atomically(dir.file("model.safetensors.index.json"), R"({"weight_map":{"z":"s1.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path().string()); }, {"weight_map.z", "not in its shard"});
  write_file_atomically(dir.file("model.safetensors.index.json"), R"({"weight_map":{"a":"../s1.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path().string()); }, {"must be a file name inside"});
  std::filesystem::remove(dir.file("model.safetensors.index.json"));
  expect_error([&] { Checkpoint::open(dir.path().string()); }, {"neither model.safetensors nor"});
}

struct TinyNet : torch::nn::Module {
  TinyNet() {
    fc = register_module("fc", Linear(LinearOptions{3, 2, true}));
    norm = register_module("norm", RMSNorm(2, 1e-6, torch::kFloat32));
  }
  Linear fc{nullptr};
  RMSNorm norm{nullptr};
};

TEST(LoadStrict, ListsEveryProblemInOneError) {
  TempDir dir;
  safetensors::write_file(dir.file("m.safetensors"), {{"net.fc.weight", torch::ones({2, 4})},  // wrong shape
                                                      {"net.fc.bias", torch::ones({2}, torch::kInt64)},  // wrong kind
                                                      {"net.extra", torch::ones({1})}});
  TinyNet net;
  const KeyLayout layout{"test", {{"net.", ""}}};
  expect_error([&] { load_strict(net, Checkpoint::open(dir.file("m.safetensors")), layout); },
               {"4 problem(s)", "unexpected tensor 'net.extra'", "missing tensor for 'norm.weight'",
                "shape mismatch for 'net.fc.weight'", "dtype mismatch for 'net.fc.bias'"});
}

TEST(LoadStrict, ConvertsFloatingDtypesAndSharesMatchingOnes) {
  TempDir dir;
  safetensors::write_file(dir.file("m.safetensors"), {{"fc.weight", torch::ones({2, 3}, torch::kBFloat16)},
                                                      {"fc.bias", torch::full({2}, 0.5)},
                                                      {"norm.weight", torch::ones({2})}});
  TinyNet net;
  auto report = load_strict(net, Checkpoint::open(dir.file("m.safetensors")), KeyLayout{"identity", {{"", ""}}});
  EXPECT_EQ(report.tensors, 3u);
  EXPECT_EQ(report.converted, 1u);
  EXPECT_EQ(net.fc->weight.scalar_type(), torch::kFloat32);
  EXPECT_EQ(net.fc->bias[1].item<float>(), 0.5f);
}

TEST(JsonView, ErrorsNameFileKeyAndExpectation) {
  const auto doc = nlohmann::json::parse(R"({"text_config":{"hidden_size":"64","layers":[1,"x"]}})");
  const JsonView root(doc, "m/config.json");
  const auto text = root.child("text_config");
  expect_error([&] { text.integer("hidden_size"); },
               {"m/config.json", "'text_config.hidden_size'", "expected an integer", "\"64\""});
  expect_error([&] { text.integer("vocab_size"); }, {"'text_config.vocab_size'", "required but missing"});
  expect_error([&] { text.integers("layers"); }, {"list of integers"});
  EXPECT_EQ(text.integer_or("vocab_size", 7), 7);
}

TEST(JsonView, MalformedFileNamesThePosition) {
  TempDir dir;
  write_file_atomically(dir.file("config.json"), "{\"a\": 1,,}");
  expect_error([&] { read_json_file(dir.file("config.json")); }, {"config.json", "not valid JSON at byte"});
}

}  // namespace
}  // namespace vltune
