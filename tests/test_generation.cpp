// Generation on the fixture models: the KV cache reproduces the full forward's logits, greedy
// decoding equals repeated full forwards, beam search equals greedy at one beam and finds the best
// sequence found by brute force, sampling is reproducible and collapses to greedy as the
// temperature goes to zero, top-p keeps the smallest set reaching p, EOS stops; and prompts are
// the conversation up to the last assistant prefix.
#include <algorithm>
#include <fstream>
#include <limits>
#include <set>

#include "adapters/peft_io.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "datasets/prepare.h"
#include "language/generation.h"
#include "multimodal/generate.h"
#include "multimodal/model_loader.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using language::GenerationOptions;
using language::KVCache;
using test::data_path;
using test::expect_error;

const char* kFixtures[] = {"hf-tiny-llava-clip-llama", "hf-tiny-llava-siglip-qwen2", "hf-tiny-llava-clip-mistral",
                           "hf-tiny-llama3-text"};

struct FixtureModel {
  multimodal::LoadedModel loaded;
  torch::Tensor input_ids, attention_mask, pixel_values;  // the fixture's batch of two

  explicit FixtureModel(const std::string& name) {
    multimodal::LoadOptions options;
    options.device = test::test_device();
    loaded = multimodal::load_model(data_path(name + "/base"), options);
    loaded.model->eval();
    const auto inputs = safetensors::File::open(data_path(name + "/inputs.safetensors"));
    input_ids = inputs->tensor("input_ids").to(options.device);
    attention_mask = inputs->tensor("attention_mask").to(options.device);
    if (inputs->find("pixel_values")) pixel_values = inputs->tensor("pixel_values").to(options.device);
  }
  multimodal::VisionLanguageModelImpl& model() { return *loaded.model; }

  // Row 0 (unpadded in every fixture) cut to `length` tokens, and its image's projected features.
  torch::Tensor prompt(int64_t length) const { return input_ids[0].narrow(0, 0, length); }
  torch::Tensor features() {
    return pixel_values.defined() ? loaded.model->image_features(pixel_values.narrow(0, 0, 1)) : torch::Tensor();
  }
  // Just past the last image token (the first 4 tokens for the text-only model).
  int64_t prefix_length() const {
    const auto image = (input_ids == loaded.config.image_token_index).nonzero();
    return image.size(0) > 0 ? image.select(1, 1).max().item<int64_t>() + 1 : 4;
  }
};

GenerationOptions options_for(const std::string& strategy, int64_t max_new_tokens, std::vector<int64_t> eos = {}) {
  GenerationOptions options;
  options.strategy = strategy;
  options.max_new_tokens = max_new_tokens;
  options.eos_token_ids = std::move(eos);
  return options;
}

// Greedy decoding the slow way: a full forward without cache for every new token.
std::vector<int64_t> greedy_without_cache(FixtureModel& f, torch::Tensor ids, int64_t max_new_tokens) {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> tokens;
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    multimodal::ForwardInputs inputs;
    inputs.input_ids = ids.unsqueeze(0);
    if (f.pixel_values.defined()) inputs.pixel_values = f.pixel_values.narrow(0, 0, 1);
    const auto logits = f.model().forward(inputs).logits[0][-1];
    tokens.push_back(logits.to(torch::kFloat32).argmax().item<int64_t>());
    ids = torch::cat({ids, torch::full({1}, tokens.back(), ids.options())});
  }
  return tokens;
}

// The largest difference over the positions that hold tokens (`mask` [B, L] is 1 there). A padded
// query sees no key; its output is a placeholder that depends on how many keys exist, and no
// token attends to it.
double max_diff_at_tokens(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  return ((a - b).abs() * mask.unsqueeze(-1).to(a.scalar_type())).max().item<double>();
}

// Prefill the batch's first tokens (all images included), then feed one column at a time: every
// step's logits equal the full forward's at that position, padded rows and sliding windows included
// (to 3e-5 in fp32: one position against a whole sequence sums in another order, and LibTorch 2.11's
// MKL on the GPU machine's CPU came to 1.004e-5 at one position where Debian's OpenBLAS stays below 1e-5).
constexpr double kStepTolerance = 3e-5;

TEST(KVCache, StepByStepLogitsEqualTheFullForward) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    FixtureModel f(name);
    auto& model = f.model();
    torch::NoGradGuard no_grad;
    multimodal::ForwardInputs inputs;
    inputs.input_ids = f.input_ids;
    inputs.attention_mask = f.attention_mask;
    inputs.pixel_values = f.pixel_values;
    const auto full = model.forward(inputs).logits;
    const int64_t prefix = f.prefix_length(), length = f.input_ids.size(1);
    ASSERT_LT(prefix, length);
    const auto features = f.pixel_values.defined() ? model.image_features(f.pixel_values) : torch::Tensor();

    KVCache cache;
    auto embeds = model.embed_inputs(f.input_ids.narrow(1, 0, prefix), features);
    auto logits = model.lm_logits(model.language_model->forward(embeds, f.attention_mask.narrow(1, 0, prefix), &cache));
    EXPECT_LT(max_diff_at_tokens(logits, full.narrow(1, 0, prefix), f.attention_mask.narrow(1, 0, prefix)), kStepTolerance);
    for (int64_t t = prefix; t < length; ++t) {
      auto step = model.language_model->forward(model.language_model->embed(f.input_ids.narrow(1, t, 1)),
                                                 f.attention_mask.narrow(1, t, 1), &cache);
      EXPECT_LT(max_diff_at_tokens(model.lm_logits(step), full.narrow(1, t, 1), f.attention_mask.narrow(1, t, 1)), kStepTolerance)
          << "position " << t;
    }
    EXPECT_EQ(cache.length(), length);
    EXPECT_EQ(cache.layers.at(0).keys.size(2), length);
  }
}

TEST(KVCache, SelectRowsReordersAndRepeats) {
  KVCache cache;
  cache.layers.push_back({torch::arange(3).view({3, 1, 1, 1}).to(torch::kFloat32), torch::arange(3).view({3, 1, 1, 1}).neg()});
  cache.attention_mask = torch::ones({3, 1});
  cache.select_rows(torch::tensor({2, 2, 0}));
  EXPECT_TRUE(torch::equal(cache.layers[0].keys.flatten(), torch::tensor({2.0f, 2.0f, 0.0f})));
  EXPECT_TRUE(torch::equal(cache.layers[0].values.flatten(), -torch::tensor({2, 2, 0})));
  EXPECT_EQ(cache.length(), 1);
}

TEST(Generate, GreedyEqualsArgmaxOfRepeatedFullForwards) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    FixtureModel f(name);
    const auto prompt = f.prompt(f.prefix_length() + 2);
    const auto tokens = multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 6));
    EXPECT_EQ(tokens, greedy_without_cache(f, prompt, 6));
  }
}

// transformers' generate() on the same prompts (tests/data/make_generation_goldens.py): greedy,
// 3 beams, and 4 beams with an EOS that ends one of the candidates early.
TEST(Generate, MatchesTransformersGenerate) {
  const auto goldens = read_json_file(data_path("generation-goldens.json"));
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    FixtureModel f(name);
    const JsonView golden(goldens.at(name), "generation-goldens.json", name);
    const auto prompt = f.prompt(golden.integer("prompt_length"));
    EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 6, {2})), golden.integers("greedy"));
    auto beam = options_for("beam", 6, {2});
    beam.num_beams = 3;
    EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), beam), golden.integers("beam3"));
    const auto with_eos = golden.child("beam4_eos");
    beam = options_for("beam", 6, {with_eos.integer("eos")});
    beam.num_beams = 4;
    EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), beam), with_eos.integers("tokens"));
  }
}

// A batch of prompts of different lengths (each row left-padded differently), with and without the
// image, decodes as one left-padded batch (multimodal::generate_batch): every row's tokens are those
// the prompt gets alone, with and without an EOS that ends some rows before the others.
TEST(Generate, ABatchOfPromptsAnswersEachPromptAsAlone) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    FixtureModel f(name);
    std::vector<datasets::PreparedSample> prompts;
    auto add = [&](const torch::Tensor& ids, bool with_image) {
      const auto host = ids.to(torch::kCPU).contiguous();
      datasets::PreparedSample prompt;
      prompt.id = cat("prompt ", prompts.size());
      prompt.input_ids.assign(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
      if (with_image && f.pixel_values.defined()) prompt.pixels = f.pixel_values.narrow(0, 0, 1);
      prompts.push_back(prompt);
    };
    for (int64_t extra : {2, 5, 0, 3}) add(f.prompt(f.prefix_length() + extra), true);
    add(f.input_ids[0].narrow(0, f.prefix_length(), 3), false);  // text after the image: no visual tokens
    const auto greedy = options_for("greedy", 6);
    std::vector<std::vector<int64_t>> alone;
    for (const auto& prompt : prompts) alone.push_back(multimodal::generate(f.model(), prompt, greedy, {}));
    EXPECT_EQ(multimodal::generate_batch(f.model(), prompts, greedy, {}), alone);
    // An EOS that is some row's third token: that row stops there, the others run on.
    const auto with_eos = options_for("greedy", 6, {alone[1][2]});
    alone.clear();
    for (const auto& prompt : prompts) alone.push_back(multimodal::generate(f.model(), prompt, with_eos, {}));
    ASSERT_EQ(alone[1].size(), 2u);
    EXPECT_EQ(multimodal::generate_batch(f.model(), prompts, with_eos, {}), alone);
  }
}

TEST(Generate, PreparedPromptEqualsTensorPrompt) {
  FixtureModel f("hf-tiny-llava-clip-llama");
  datasets::PreparedSample prompt;
  const auto ids = f.prompt(f.prefix_length() + 3);
  const auto host_ids = ids.to(torch::kCPU).contiguous();
  prompt.input_ids.assign(host_ids.data_ptr<int64_t>(), host_ids.data_ptr<int64_t>() + host_ids.numel());
  prompt.pixels = f.pixel_values.narrow(0, 0, 1);
  const auto options = options_for("greedy", 5);
  EXPECT_EQ(multimodal::generate(f.model(), prompt, options, {}), multimodal::generate(f.model(), ids, f.features(), options));
}

// The adapter applies through the Linear slot, its dropout is off while generating, and the
// caller's training mode comes back.
TEST(Generate, AttachedAdapterAppliesInEvalMode) {
  FixtureModel f("hf-tiny-llava-clip-llama");
  const adapters::AttachedSet set(adapters::load_peft_adapter(data_path("hf-tiny-llava-clip-llama/adapter"), f.model(), true));
  set->train(true);
  const auto prompt = f.prompt(f.prefix_length() + 2);
  const auto tokens = multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 6));
  EXPECT_TRUE(set->entries().front().adapter->is_training());
  set->train(false);
  EXPECT_EQ(tokens, greedy_without_cache(f, prompt, 6));
}

TEST(Generate, BeamSearchWithOneBeamEqualsGreedy) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    FixtureModel f(name);
    const auto prompt = f.prompt(f.prefix_length() + 1);
    auto beam = options_for("beam", 7, {2});
    beam.num_beams = 1;
    EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), beam),
              multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 7, {2})));
  }
}

// Two new tokens, scored as transformers does (summed log-probabilities / length, EOS counted):
// with as many beams as the vocabulary, beam search must return the best of all sequences.
TEST(Generate, BeamSearchFindsTheBruteForceBest) {
  for (const char* name : {"hf-tiny-llava-siglip-qwen2", "hf-tiny-llama3-text"}) {
    SCOPED_TRACE(name);
    FixtureModel f(name);
    auto& model = f.model();
    torch::NoGradGuard no_grad;
    const auto prompt = f.prompt(f.prefix_length() + 1);
    KVCache cache;
    const auto first = torch::log_softmax(multimodal::prefill(model, prompt, f.features(), cache).to(torch::kFloat32), -1);
    const int64_t vocab = first.size(0);
    // An EOS that competes: the second most likely first token.
    const int64_t eos = std::get<1>(first.topk(2))[1].item<int64_t>();
    cache.select_rows(torch::zeros({vocab}, torch::kInt64).to(first.device()));
    const auto second = torch::log_softmax(
        multimodal::next_token_logits(model, torch::arange(vocab, first.options().dtype(torch::kInt64)), cache)
            .to(torch::kFloat32),
        -1);  // [first token, second token]
    auto pair_scores = (first.unsqueeze(1) + second) / 2;
    pair_scores[eos].fill_(-std::numeric_limits<float>::infinity());  // a sequence ends at its EOS
    const int64_t best_pair = pair_scores.argmax().item<int64_t>();
    std::vector<int64_t> expected{best_pair / vocab};
    if (best_pair % vocab != eos) expected.push_back(best_pair % vocab);
    if (first[eos].item<float>() > pair_scores.max().item<float>()) expected.clear();

    auto beam = options_for("beam", 2, {eos});
    beam.num_beams = vocab;
    EXPECT_EQ(multimodal::generate(model, prompt, f.features(), beam), expected);
  }
}

TEST(Generate, SamplingIsSeededAndColdSamplingIsGreedy) {
  FixtureModel f("hf-tiny-llava-clip-mistral");
  const auto prompt = f.prompt(f.prefix_length() + 2);
  const auto greedy = multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 8));
  auto sample = options_for("sample", 8);
  sample.temperature = 1e-6;
  EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), sample), greedy);
  sample.temperature = 1.0;
  sample.top_p = 1e-6;  // only the most likely token is left
  EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), sample), greedy);
  sample.top_p = 1.0;
  std::set<std::vector<int64_t>> outputs;
  for (uint64_t seed : {1, 2, 3}) {
    sample.seed = seed;
    const auto tokens = multimodal::generate(f.model(), prompt, f.features(), sample);
    EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), sample), tokens) << "seed " << seed;
    outputs.insert(tokens);
  }
  EXPECT_GT(outputs.size(), 1u) << "three seeds drew the same 8 tokens at temperature 1";
}

TEST(Generate, TopPKeepsTheSmallestSetReachingP) {
  const auto probs = torch::tensor({0.125, 0.5, 0.125, 0.25}, torch::kFloat64);
  EXPECT_TRUE(torch::equal(language::top_p_filter(probs, 0.5), torch::tensor({0.0, 0.5, 0.0, 0.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(language::top_p_filter(probs, 0.6), torch::tensor({0.0, 0.5, 0.0, 0.25}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(language::top_p_filter(probs, 0.75), torch::tensor({0.0, 0.5, 0.0, 0.25}, torch::kFloat64)));
  const auto three = language::top_p_filter(probs, 0.8);  // one of the two tied 0.125s joins
  EXPECT_EQ(three.count_nonzero().item<int64_t>(), 3);
  EXPECT_DOUBLE_EQ(three.sum().item<double>(), 0.875);
  EXPECT_TRUE(torch::equal(language::top_p_filter(probs, 1.0), probs));
}

TEST(Generate, EosStopsEveryStrategy) {
  FixtureModel f("hf-tiny-llama3-text");
  const auto prompt = f.prompt(6);
  const auto free_run = multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 6));
  ASSERT_EQ(free_run.size(), 6u);
  const int64_t eos = free_run[3];
  const auto upto = std::find(free_run.begin(), free_run.end(), eos);  // the first occurrence ends it
  const std::vector<int64_t> expected(free_run.begin(), upto);
  EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 6, {eos})), expected);
  auto cold = options_for("sample", 6, {eos});
  cold.temperature = 1e-6;
  EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), cold), expected);
  auto beam = options_for("beam", 6, {eos});
  beam.num_beams = 1;
  EXPECT_EQ(multimodal::generate(f.model(), prompt, f.features(), beam), expected);
  EXPECT_TRUE(multimodal::generate(f.model(), prompt, f.features(), options_for("greedy", 0)).empty());
}

TEST(Generate, BadOptionsAndPromptsFailWithAMessage) {
  FixtureModel f("hf-tiny-llama3-text");
  const auto prompt = f.prompt(4);
  auto options = options_for("nucleus", 4);
  expect_error([&] { multimodal::generate(f.model(), prompt, {}, options); }, {"unknown generation strategy 'nucleus'"});
  options = options_for("sample", 4);
  options.temperature = 0;
  expect_error([&] { multimodal::generate(f.model(), prompt, {}, options); }, {"temperature must be > 0"});
  options = options_for("beam", 4);
  options.num_beams = 0;
  expect_error([&] { multimodal::generate(f.model(), prompt, {}, options); }, {"num_beams must be >= 1"});
  expect_error([&] { multimodal::generate(f.model(), torch::zeros({0}, torch::kInt64), {}, options_for("greedy", 4)); },
               {"non-empty"});
  expect_error([&] { multimodal::generate(f.model(), torch::tensor({1, 400}), {}, options_for("greedy", 4)); },
               {"outside the vocabulary"});
  // A batch names the prompt that has no tokens.
  std::vector<datasets::PreparedSample> batch(2);
  batch[0].id = "full";
  batch[0].input_ids = {1, 2, 3};
  batch[1].id = "hollow";
  expect_error([&] { multimodal::generate_batch(f.model(), batch, options_for("greedy", 4), {}); },
               {"the prompt of hollow has no tokens"});
}

TEST(Generate, EosIdsComeFromTheModelFolder) {
  EXPECT_EQ(multimodal::eos_token_ids(data_path("hf-tiny-llava-clip-llama/base")), std::vector<int64_t>{2});
  test::TempDir dir;
  std::ofstream(dir.file("config.json")) << R"({"model_type": "llama", "eos_token_id": [7, 9]})";
  EXPECT_EQ(multimodal::eos_token_ids(dir.path().string()), (std::vector<int64_t>{7, 9}));
}

const language::Tokenizer& tokenizer() {
  static const auto loaded = language::Tokenizer::load(test::tiny_tokenizer_path());
  return loaded;
}

// The prompt is the training sequence cut where the last answer's labels begin, for every template.
TEST(Prompt, IsTheConversationUpToTheLastAssistantPrefix) {
  datasets::Sample sample;
  sample.id = "s1";
  sample.turns = {{language::Role::kUser, "What colour is the shoe?"}, {language::Role::kAssistant, "It is red."},
                  {language::Role::kUser, "What colour is the bag?"}, {language::Role::kAssistant, "It is blue."}};
  for (const auto& name : language::chat_template_names()) {
    SCOPED_TRACE(name);
    datasets::PrepareOptions options;
    options.chat_template = name;
    const datasets::SamplePreparer preparer(tokenizer(), options);
    datasets::BadSamples bad(datasets::OnBadSample::kError);
    const auto full = preparer.prepare(sample, bad);
    ASSERT_TRUE(full);
    auto answer_start = full->labels.size();
    while (answer_start > 0 && full->labels[answer_start - 1] == -100) --answer_start;  // past the last answer
    while (answer_start > 0 && full->labels[answer_start - 1] != -100) --answer_start;  // to its first token
    const auto prompt = preparer.prepare_prompt(sample);
    EXPECT_EQ(prompt.input_ids, std::vector<int64_t>(full->input_ids.begin(), full->input_ids.begin() + answer_start));
    EXPECT_EQ(prompt.labels, std::vector<int64_t>(full->labels.begin(), full->labels.begin() + answer_start));
    EXPECT_FALSE(prompt.pixels.defined());
    const auto from_prepared = preparer.prepare_prompt(sample, *full);  // what evaluation does: no second decode
    EXPECT_EQ(from_prepared.input_ids, prompt.input_ids);
    EXPECT_EQ(from_prepared.labels, prompt.labels);
  }
  datasets::PrepareOptions options;
  options.encode.max_length = 5;
  expect_error([&] { datasets::SamplePreparer(tokenizer(), options).prepare_prompt(sample); },
               {"s1", "more than max_length 5"});
}

TEST(Prompt, GenerationPromptEndsAtTheAssistantPrefix) {
  const std::vector<language::Turn> turns = {{language::Role::kUser, "Q1"}, {language::Role::kAssistant, "A1"},
                                             {language::Role::kUser, "Q2"}, {language::Role::kAssistant, "A2"}};
  const auto chatml = language::generation_prompt(language::render_chat("chatml", turns, tokenizer(), "t"));
  EXPECT_EQ(chatml.back().text, "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n");
  const auto llava = language::generation_prompt(language::render_chat("llava_v1", turns, tokenizer(), "t"));
  EXPECT_EQ(llava.back().text, "USER: Q2 ASSISTANT:");
  expect_error([] { language::generation_prompt({{"no answer", -1, false}}); }, {"no answer to generate"});
}

}  // namespace
}  // namespace vltune
