// The fuzz targets' bodies for what a user writes or downloads beside a model: recipes (with
// `--set` overrides), dataset annotation files in each built-in format, a checkpoint's state.json
// and tokenizer.json. Shared, like fuzz/targets.h, by the libFuzzer entry points and by
// tests/test_fuzz_regressions.cpp. A vltune::Error is the expected way to refuse an input.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "adapters/placement.h"
#include "adapters/placement_rules.h"
#include "datasets/loader.h"
#include "datasets/registry.h"
#include "fuzz/targets.h"
#include "language/tokenizer.h"
#include "training/checkpoint.h"
#include "training/recipe.h"
#include "training/run_setup.h"

namespace vltune::fuzz {

// The input split at its first line "#set": the part before is the file's text, each line after
// is one `--set key=value`.
struct TextAndOverrides {
  std::string text;
  std::vector<std::string> overrides;
};

inline TextAndOverrides split_overrides(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto marker = input.find("\n#set\n");
  TextAndOverrides result{std::string(input.substr(0, marker)), {}};
  if (marker == std::string_view::npos) return result;
  std::string_view rest = input.substr(marker + 6);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    result.overrides.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return result;
}

// A recipe YAML (+ `--set` lines) loaded and validated, then what training reads from it before
// any data: the adapter placement, planned over the tiny LLaVA fixture's linear layers, the frame
// sampling, the video pooling and the resolved recipe a run folder keeps.
inline void recipe_input(const uint8_t* data, std::size_t size, const std::string& base_model_dir) {
  static auto loaded = multimodal::load_model(base_model_dir);
  static const auto sites = adapters::linear_sites(*loaded.model);
  const auto input = split_overrides(data, size);
  const auto path = scratch() / "recipe.yaml";
  write_bytes(path, reinterpret_cast<const uint8_t*>(input.text.data()), input.text.size());
  refused_is_fine([&] {
    const auto recipe = training::Recipe::load(path.string(), input.overrides);
    if (recipe.has("adapters")) {
      const auto placement = adapters::parse_placement(recipe.find("adapters"), recipe.origin_file("adapters"));
      (void)adapters::plan_adapters(placement, sites);
    }
    (void)training::frame_sampling(recipe);
    (void)training::video_pooling(recipe);
    (void)recipe.resolved_yaml((scratch() / "run").string());
  });
}

// One annotation file of `format` (llava, jsonl, coco, alpaca, vqa), read with bad samples
// skipped; its media would resolve inside the scratch folder.
inline void dataset_input(const std::string& format, const uint8_t* data, std::size_t size) {
  const auto dir = scratch() / "dataset";
  static const bool media = [&] {  // media the seeds name, present (their content is not read)
    std::filesystem::create_directories(dir);
    for (const char* name : {"a.png", "b.png", "clip.mp4"}) write_bytes(dir / name, nullptr, 0);
    return true;
  }();
  (void)media;
  const auto path = dir / (format == "jsonl" ? "data.jsonl" : "data.json");
  write_bytes(path, data, size);
  datasets::DatasetSpec spec;
  spec.format = format;
  spec.path = path.string();
  spec.origin = "fuzz";
  datasets::BadSamples bad(datasets::OnBadSample::kSkip);
  refused_is_fine([&] {
    for (const auto& sample : datasets::read_dataset(spec, bad)) (void)sample.turns.size();
  });
}

// A checkpoint's state.json, checked as a resume reads it, then the data position it holds used
// to start a loader over 5 samples.
inline void state_input(const uint8_t* data, std::size_t size) {
  refused_is_fine([&] {
    const auto document = parse_json_text(std::string_view(reinterpret_cast<const char*>(data), size), "[fuzz] state.json");
    const JsonView json(document, "state.json");
    const auto state = training::read_train_state(json, "step-00000012");
    datasets::LoaderOptions options;
    options.workers = 1;
    options.prefetch = 2;
    datasets::DataLoader<int64_t> loader(5, [](int64_t index) { return std::optional<int64_t>(index); }, options, state.data);
    (void)loader.next();
  });
}

// A tokenizer.json loaded, then a text with specials, bytes beyond ASCII and spaces encoded and
// decoded.
inline void tokenizer_json_input(const uint8_t* data, std::size_t size) {
  const auto dir = scratch() / "tokenizer";
  std::filesystem::create_directories(dir);
  write_bytes(dir / "tokenizer.json", data, size);
  refused_is_fine([&] {
    const auto tokenizer = language::Tokenizer::load((dir / "tokenizer.json").string());
    const auto ids = tokenizer.encode("Hello  wörld <|im_start|>user\n\t42 ümlaut 😀", true);
    (void)tokenizer.decode(ids, false);
    (void)tokenizer.decode(ids, true);
  });
}

}  // namespace vltune::fuzz
