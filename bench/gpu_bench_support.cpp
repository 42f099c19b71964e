#include "bench/gpu_bench_support.h"

#include <torch/cuda.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "adapters/adapter_set.h"
#include "bench/gpu_trace.h"
#include "core/torch_compat.h"
#include "training/flat_adamw.h"

namespace vltune::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool selected(const BenchOptions& options, const std::string& name) {
  return options.only.empty() || ("," + options.only + ",").find("," + name + ",") != std::string::npos;
}

// A JSON string's body: quotes, backslashes and control characters escaped.
std::string json_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out += std::string("\\") + c;
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out;
}

struct Timings {
  std::vector<double> steps;
  std::map<std::string, std::vector<double>> phases;  // forward, backward, optimizer
};

// One training step: the loss, its backward, AdamW, zeroed gradients.
void train_step(const std::function<torch::Tensor()>& loss_of_step, training::FlatAdamW& optimizer, double lr) {
  loss_of_step().backward();
  optimizer.step(lr);
  optimizer.zero_grad();
}

// The timed steps of one setting, then 3 steps synchronised after each phase.
Timings time_steps(const std::function<torch::Tensor()>& loss_of_step, training::FlatAdamW& optimizer, double lr,
                   const BenchOptions& options) {
  Timings t;
  for (int64_t i = 0; i < options.steps; ++i) {
    torch::cuda::synchronize();
    const auto start = Clock::now();
    train_step(loss_of_step, optimizer, lr);
    torch::cuda::synchronize();
    if (i >= options.warmup) t.steps.push_back(ms_since(start));
  }
  for (int i = 0; i < 3; ++i) {
    torch::cuda::synchronize();
    auto mark = Clock::now();
    auto lap = [&](const std::string& phase) {
      torch::cuda::synchronize();
      t.phases[phase].push_back(ms_since(mark));
      mark = Clock::now();
    };
    auto loss = loss_of_step();
    lap("forward");
    loss.backward();
    lap("backward");
    optimizer.step(lr);
    optimizer.zero_grad();
    lap("optimizer");
  }
  return t;
}

void run_setting(multimodal::VisionLanguageModel& model, const multimodal::ForwardInputs& inputs,
                 const Setting& setting, const BenchOptions& options, const BenchRun& run) {
  const torch::Device device(torch::kCUDA, 0);
  compat::reset_peak_device_allocated_bytes(device);
  std::ostringstream rules;
  rules << "[{component: language, modules: " << setting.modules << ", method: " << setting.kind
        << ", rank: 16, alpha: 32, dropout: 0}]";
  const auto placement = adapters::parse_placement(YAML::Load(rules.str()), "gpu bench");
  const auto plan = adapters::plan_adapters(placement, adapters::linear_sites(*model));
  const adapters::AttachedSet set(adapters::build_adapter_set(setting.name, plan, /*seed=*/0));
  set->train(true);
  const double lr = 1e-4, weight_decay = 0.01;
  training::FlatAdamW optimizer(set->named_parameters(), {lr, 0.9, 0.999, 1e-8, weight_decay},
                                [&](const std::string&) { return training::ParamGroupOptions{1.0, weight_decay}; });
  // As the trainer does: DoRA's scales for the step's parameters, all adapters at once.
  auto step_inputs = inputs;
  step_inputs.logits = options.logits == "whole";
  auto loss_of_step = [&] {
    set->refresh_scales();
    return model->forward(step_inputs).loss;
  };
  const auto t = time_steps(loss_of_step, optimizer, lr, options);
  if (!options.profile.empty())
    trace_steps([&] { train_step(loss_of_step, optimizer, lr); }, 3, options.profile + "-" + setting.name + ".json");
  const double step_ms = median(t.steps);
  const double peak_gib = static_cast<double>(compat::peak_device_allocated_bytes(device).value_or(-1)) / (1 << 30);
  const double tflop = run.tflop(plan, setting.kind);
  const int64_t batch = inputs.input_ids.size(0);
  std::printf("{\"kind\": \"%s\", \"shape\": \"%s\", \"targets\": \"%s\", \"batch\": %ld, \"seq\": %ld, "
              "\"trainable\": %ld, \"step_ms_median\": %.2f, \"step_ms_min\": %.2f, \"peak_gib\": %.3f, "
              "\"model_tflop\": %.3f, \"mfu\": %.4f, \"forward_ms\": %.2f, \"backward_ms\": %.2f, "
              "\"optimizer_ms\": %.2f, \"logits\": \"%s\"}\n",
              setting.kind.c_str(), run.shape.c_str(), setting.modules.c_str(), static_cast<long>(batch),
              static_cast<long>(run.seq), static_cast<long>(set->num_trainable()), step_ms,
              *std::min_element(t.steps.begin(), t.steps.end()), peak_gib, tflop,
              tflop / (step_ms / 1000.0) / kPeakTflops, median(t.phases.at("forward")),
              median(t.phases.at("backward")), median(t.phases.at("optimizer")), options.logits.c_str());
  std::fflush(stdout);
}  // the set detaches as it goes

}  // namespace

std::optional<BenchOptions> parse_bench_options(int argc, char** argv, const std::string& program,
                                                const std::vector<std::string>& shapes) {
  std::map<std::string, std::string> opt = {{"--batch", "4"}, {"--steps", "13"}, {"--warmup", "3"}, {"--only", ""},
                                            {"--logits", "fused"}, {"--profile", ""}, {"--shape", shapes.at(0)}};
  for (int i = 1; i < argc; i += 2) {
    if (!opt.count(argv[i]) || i + 1 >= argc) {
      std::cerr << program << ": unknown option or missing value '" << argv[i]
                << "' (expected --batch N, --steps N, --warmup N, --only a,b, --logits fused|whole, --profile PATH, --shape NAME)\n";
      return std::nullopt;
    }
    opt[argv[i]] = argv[i + 1];
  }
  BenchOptions o;
  try {
    o.batch = std::stoll(opt["--batch"]);
    o.steps = std::stoll(opt["--steps"]);
    o.warmup = std::stoll(opt["--warmup"]);
  } catch (const std::exception&) {
    std::cerr << program << ": --batch, --steps and --warmup take whole numbers\n";
    return std::nullopt;
  }
  o.only = opt["--only"];
  o.logits = opt["--logits"];
  o.profile = opt["--profile"];
  o.shape = opt["--shape"];
  if (std::find(shapes.begin(), shapes.end(), o.shape) == shapes.end()) {
    std::cerr << program << ": --shape takes";
    for (const auto& name : shapes) std::cerr << ' ' << name;
    std::cerr << ", not '" << o.shape << "'\n";
    return std::nullopt;
  }
  if (o.logits != "fused" && o.logits != "whole") {
    std::cerr << program << ": --logits takes fused or whole, not '" << o.logits << "'\n";
    return std::nullopt;
  }
  if (o.batch < 1 || o.warmup < 0 || o.steps <= o.warmup) {
    std::cerr << program << ": --batch must be >= 1 and --steps > --warmup >= 0\n";
    return std::nullopt;
  }
  return o;
}

bool require_cuda(const std::string& program) {
  if (torch::cuda::is_available()) return true;
  std::cerr << program << " needs a CUDA device (this LibTorch sees none)\n";
  return false;
}

std::optional<std::string> llava_config_json(const std::string& shape, int64_t max_position_embeddings) {
  const std::map<std::string, std::string> text = {
      {"tinyllama", R"("hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4)"},
      {"7b", R"("hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32)"},
      {"tiny", R"("hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2)"}};
  const auto decoder = text.find(shape);
  if (decoder == text.end()) return std::nullopt;
  const std::string vision = shape != "tiny"
      ? R"("vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "intermediate_size": 4096,
      "num_hidden_layers": 24, "num_attention_heads": 16, "image_size": 336, "patch_size": 14, "projection_dim": 768})"
      : R"("vision_config": {"model_type": "clip_vision_model", "hidden_size": 32,
      "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 56, "patch_size": 14, "projection_dim": 16})";
  return R"({"model_type": "llava", "torch_dtype": "bfloat16", "image_token_index": 32000, "vision_feature_layer": -2,
  "vision_feature_select_strategy": "default", "projector_hidden_act": "gelu", )" + vision +
         R"(, "text_config": {"model_type": "llama", )" + decoder->second + R"(, "vocab_size": 32064, "max_position_embeddings": )" +
         std::to_string(max_position_embeddings) + "}}";
}

multimodal::ModelConfig write_and_read_config(const std::string& config_json, const std::string& folder) {
  const auto dir = std::filesystem::temp_directory_path() / folder;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << config_json;
  return multimodal::read_model_config(dir.string());
}

void init_frozen(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) {
    auto& p = item.value();
    const auto& name = item.key();
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) p.zero_();
    else if (p.dim() == 1) p.fill_(1.0);
    else p.normal_(0.0, 0.02);
    p.set_requires_grad(false);
  }
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double decoder_step_tflop(const language::DecoderConfig& t, int64_t batch, int64_t seq,
                          const std::vector<adapters::PlannedAdapter>& plan, const std::string& kind) {
  const double rows = static_cast<double>(batch * seq);
  const double kv = static_cast<double>(t.num_kv_heads * t.head_dim), h = static_cast<double>(t.hidden_size);
  const double mlp = static_cast<double>(t.intermediate_size);
  const double layer_matmuls = 2 * rows * (2 * h * h + 2 * h * kv + 3 * h * mlp);
  const double layer_attention = 4.0 * batch * t.num_heads * double(seq) * seq * t.head_dim;
  const double lm_head = 2 * rows * h * static_cast<double>(t.vocab_size);
  const double forward = t.num_layers * (layer_matmuls + layer_attention) + lm_head;
  const double backward_inputs = t.num_layers * (layer_matmuls + 2 * layer_attention) + lm_head;
  double trained = 0;
  for (const auto& p : plan) {
    const double in = static_cast<double>(p.site.linear->in_features());
    const double out = static_cast<double>(p.site.linear->out_features());
    trained += kind == "full" ? 2 * rows * in * out : 3 * 2 * rows * p.spec.rank * (in + out);
  }
  return (forward + backward_inputs + trained) / 1e12;
}

void run_settings(multimodal::VisionLanguageModel& model, const multimodal::ForwardInputs& inputs,
                  const std::vector<Setting>& settings, const BenchOptions& options, const BenchRun& run) {
  for (const auto& setting : settings) {
    if (!selected(options, setting.name)) continue;
    try {
      run_setting(model, inputs, setting, options, run);
    } catch (const std::exception& e) {  // out of memory, say: reported as PEFT's script does, and on
      std::printf("{\"kind\": \"%s\", \"targets\": \"%s\", \"error\": \"%s\"}\n", setting.kind.c_str(),
                  setting.modules.c_str(), json_escape(std::string(e.what()).substr(0, 300)).c_str());
      std::fflush(stdout);
    }
  }
}

}  // namespace vltune::bench
