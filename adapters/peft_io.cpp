#include "adapters/peft_io.h"

#include <cmath>
#include <filesystem>
#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "adapters/method_table.h"
#include "adapters/module_regex.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "multimodal/checkpoint_layouts.h"

namespace vltune::adapters {

namespace {

const std::string kPrefix = "base_model.model.";

// Config fields that change the computation and that vltune does not implement: each must be
// absent or at its neutral value.
const std::vector<std::string> kUnsupportedFields = {
    "fan_in_fan_out", "modules_to_save", "layers_to_transform", "layers_pattern", "layer_replication",
    "use_qalora", "lora_bias", "target_parameters", "trainable_token_indices", "alora_invocation_tokens",
    "use_bdlora", "exclude_modules", "megatron_config"};

bool neutral(const nlohmann::json& value) {
  return value.is_null() || (value.is_boolean() && !value.get<bool>()) || (value.is_array() && value.empty()) ||
         (value.is_object() && value.empty());
}

// A PEFT file's regular expressions, each compiled once (adapters/module_regex.h).
class PeftPatterns {
 public:
  explicit PeftPatterns(const JsonView& config) {
    const auto& raw = config.raw();
    if (raw.contains("target_modules") && !raw["target_modules"].is_null()) {
      const auto& target = raw["target_modules"];
      if (target.is_string()) {
        target_regex_.emplace(target.get<std::string>(), where(config, "target_modules"));
      } else if (target.is_array()) {
        for (const auto& name : target) {
          if (!name.is_string()) config.fail_at("target_modules", "expected a string or a list of strings");
          target_names_.push_back(name.get<std::string>());
        }
      } else {
        config.fail_at("target_modules", "expected a string or a list of strings");
      }
      has_targets_ = true;
    }
    read_patterns(config, "rank_pattern", rank_);
    read_patterns(config, "alpha_pattern", alpha_);
  }

  // PEFT: re.fullmatch(target_modules, name) for a string; a list matches a name or its last parts.
  bool targets(const std::string& module) const {
    if (!has_targets_) return true;
    if (target_regex_) return target_regex_->full_match(module);
    for (const auto& name : target_names_)
      if (module == name || (module.size() > name.size() && module.compare(module.size() - name.size() - 1, name.size() + 1, "." + name) == 0))
        return true;
    return false;
  }
  std::optional<double> rank(const std::string& module) const { return lookup(rank_, module); }
  std::optional<double> alpha(const std::string& module) const { return lookup(alpha_, module); }

 private:
  using Patterns = std::vector<std::pair<ModuleRegex, double>>;
  static std::string where(const JsonView& config, const std::string& key) {
    return cat("[adapters] ", config.file(), ": key '", key, "'");
  }
  // PEFT's lookup for rank_pattern / alpha_pattern: a key matches a module when the module name
  // ends with it at a dot boundary, re.match(rf"(.*\.)?({key})$", name).
  static void read_patterns(const JsonView& config, const std::string& key, Patterns& out) {
    if (!config.has(key)) return;
    const JsonView patterns = config.child(key);
    for (const auto& [pattern, value] : patterns.raw().items()) {
      if (!value.is_number()) patterns.fail_at(pattern, "expected a number, found " + value.dump());
      out.emplace_back(ModuleRegex("(.*\\.)?(" + pattern + ")", where(config, key)), value.get<double>());
    }
  }
  static std::optional<double> lookup(const Patterns& patterns, const std::string& module) {
    for (const auto& [regex, value] : patterns)
      if (regex.full_match(module)) return value;
    return std::nullopt;
  }

  bool has_targets_ = false;
  std::optional<ModuleRegex> target_regex_;
  std::vector<std::string> target_names_;
  Patterns rank_, alpha_;
};

// The method PEFT itself reads from a file of `peft_type` with `use_dora` (method_table.h's rows).
const MethodInfo* native_method(const std::string& peft_type, bool use_dora) {
  for (const auto& row : method_table())
    if (row.peft_native && row.peft_type == peft_type && row.use_dora == use_dora) return &row;
  return nullptr;
}

std::string native_types() {
  std::string listed;
  for (const auto& row : method_table())
    if (row.peft_native && listed.find(row.peft_type) == std::string::npos) listed += (listed.empty() ? "" : ", ") + row.peft_type;
  return listed;
}

// A module not named in "vltune_methods" whose tensors are its file's method's and more: the method
// PEFT lacks, of the same peft_type, with exactly those tensors (VeRA's + a magnitude vector: DVoRA).
// Any other extra tensor is refused when the adapter loads it.
Method method_of_tensors(const MethodInfo& native, const std::map<std::string, std::string>& tensors) {
  if (tensors.size() <= native.file_suffixes.size()) return native.method;
  for (const auto& row : method_table()) {
    if (row.peft_native || row.peft_type != native.peft_type || row.file_suffixes.size() != tensors.size()) continue;
    if (std::all_of(row.file_suffixes.begin(), row.file_suffixes.end(), [&](const auto& s) { return tensors.count(s) > 0; }) &&
        std::all_of(native.file_suffixes.begin(), native.file_suffixes.end(), [&](const auto& s) { return tensors.count(s) > 0; }))
      return row.method;
  }
  return native.method;
}

std::string regex_escape(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

}  // namespace

const KeyLayout& peft_layout(bool multimodal_model) {
  const auto& layouts = multimodal::checkpoint_layouts();
  for (const auto& layout : layouts)
    if (layout.name == (multimodal_model ? "model.*-nested" : "bare llama")) return layout;
  fail("[adapters] no PEFT layout");
}

std::string peft_key(const KeyLayout& layout, const std::string& module_path, const std::string& suffix) {
  return kPrefix + layout.to_checkpoint(module_path) + "." + suffix;
}

std::unique_ptr<AdapterSet> load_peft_adapter(const std::string& dir, torch::nn::Module& model,
                                              bool multimodal_model, const std::string& set_name) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(dir) / "adapter_config.json").string();
  const std::string weights_path = (fs::path(dir) / "adapter_model.safetensors").string();
  if (!fs::exists(config_path)) fail("[adapters] ", dir, ": no adapter_config.json (expected a PEFT adapter folder)");
  const auto document = read_json_file(config_path, kMaxConfigFileBytes);
  const JsonView config(document, config_path);

  const std::string peft_type = config.str("peft_type");
  const MethodInfo* native = native_method(peft_type, peft_type == "LORA" && config.boolean_or("use_dora", false));
  if (!native) config.fail_at("peft_type", "'" + peft_type + "' is not supported (supported: " + native_types() + ")");
  for (const auto& field : kUnsupportedFields)
    if (config.raw().contains(field) && !neutral(config.raw()[field]))
      config.fail_at(field, "is set to " + config.raw()[field].dump() + ", which vltune does not support");
  if (config.str_or("bias", "none") != "none") config.fail_at("bias", "only \"none\" is supported");

  AdapterSpec base_spec;
  int64_t vera_seed = 0;
  // LoRA's fields are read for VERA files too: vltune writes them there for sets that mix methods.
  base_spec.rank = config.integer("r");
  check_rank(base_spec.rank, cat("[adapters] ", config_path, ": key 'r'"));
  base_spec.alpha = config.number_or("lora_alpha", 8);
  base_spec.rslora = config.boolean_or("use_rslora", false);
  base_spec.method = native->method;
  if (!native->shared_projections) {
    base_spec.dropout = config.number_or("lora_dropout", 0);
  } else {
    base_spec.dropout = config.number_or("vera_dropout", 0);
    base_spec.d_initial = config.number_or("d_initial", 0.1);
    vera_seed = config.integer_or("projection_prng_key", 0);
  }
  const auto& methods = config.raw().contains("vltune_methods") ? config.raw()["vltune_methods"] : nlohmann::json();
  const PeftPatterns patterns(config);

  const auto weights = safetensors::File::open(weights_path);
  std::map<std::string, std::map<std::string, std::string>> by_module;  // PEFT module -> suffix -> key
  const auto suffixes = all_file_suffixes();
  torch::Tensor saved_vera_a, saved_vera_b;
  for (const auto& info : weights->tensors()) {
    if (info.name == "base_model.vera_A" || info.name == "vera_A") { saved_vera_a = weights->tensor(info.name); continue; }
    if (info.name == "base_model.vera_B" || info.name == "vera_B") { saved_vera_b = weights->tensor(info.name); continue; }
    bool placed = false;
    if (info.name.rfind(kPrefix, 0) == 0)
      for (const auto& suffix : suffixes) {
        const auto tail = "." + suffix;
        if (info.name.size() > kPrefix.size() + tail.size() &&
            info.name.compare(info.name.size() - tail.size(), tail.size(), tail) == 0) {
          by_module[info.name.substr(kPrefix.size(), info.name.size() - kPrefix.size() - tail.size())][suffix] = info.name;
          placed = true;
          break;
        }
      }
    if (!placed) fail("[adapters] ", weights_path, ": tensor '", info.name, "' is not an adapter tensor vltune knows");
  }
  if (by_module.empty()) fail("[adapters] ", weights_path, ": holds no adapter tensors");

  const auto sites = linear_sites(model);
  std::vector<std::string> module_weights, peft_weights;
  for (const auto& site : sites) module_weights.push_back(site.path + ".weight");
  for (const auto& entry : by_module) peft_weights.push_back(entry.first + ".weight");
  const KeyLayout& layout = multimodal::detect_layout(peft_weights, module_weights);
  std::map<std::string, const LinearSite*> site_of;
  for (const auto& site : sites) site_of[site.path] = &site;

  // Resolve every module first so one error can name all that do not fit.
  struct Resolved { const LinearSite* site; AdapterSpec spec; std::string peft_module; };
  std::vector<Resolved> resolved;
  std::vector<std::string> problems;
  for (const auto& [peft_module, tensors] : by_module) {
    const auto path = layout.to_module(peft_module + ".weight");
    auto it = site_of.find(path.empty() ? "" : path.substr(0, path.size() - 7));
    if (it == site_of.end()) { problems.push_back("'" + peft_module + "' is not a linear module of this model"); continue; }
    if (!patterns.targets(peft_module))
      problems.push_back("'" + peft_module + "' has tensors but is not in target_modules");
    AdapterSpec spec = base_spec;
    if (methods.is_object() && methods.contains(peft_module))
      spec.method = parse_method(JsonView(methods, config_path, "vltune_methods").str(peft_module), config_path + ": vltune_methods");
    else
      spec.method = method_of_tensors(*native, tensors);
    if (method_info(spec.method).takes_alpha) {
      if (auto r = patterns.rank(peft_module)) spec.rank = static_cast<int64_t>(std::clamp(*r, -1.0, 1e18));
      if (auto a = patterns.alpha(peft_module)) spec.alpha = *a;
      if (tensors.count("lora_A.weight")) {
        const auto& shape = weights->find(tensors.at("lora_A.weight"))->shape;
        if (shape.size() != 2) fail("[adapters] ", weights_path, ": '", tensors.at("lora_A.weight"), "' must be a matrix");
        spec.rank = shape[0];
      }
    }
    check_rank(spec.rank, cat("[adapters] ", dir, ": module '", peft_module, "'"));
    resolved.push_back({it->second, spec, peft_module});
  }
  if (!problems.empty()) {
    std::string text = cat("[adapters] ", dir, ": the adapter does not fit the model (read with the ", layout.name, " layout):");
    for (const auto& p : problems) text += "\n  - " + p;
    throw Error(text + "\n  hint: was it trained on a different base model?");
  }

  auto set = std::make_unique<AdapterSet>(set_name);
  int64_t max_in = 0, max_out = 0, vera_rank = 0;
  for (const auto& r : resolved)
    if (method_info(r.spec.method).shared_projections) {
      max_in = std::max(max_in, r.site->linear->in_features());
      max_out = std::max(max_out, r.site->linear->out_features());
      vera_rank = r.spec.rank;
    }
  if (vera_rank > 0) {
    auto projections = VeraProjections::draw(vera_rank, max_in, max_out, vera_seed);
    if (saved_vera_a.defined() != saved_vera_b.defined())
      fail("[adapters] ", weights_path, ": holds only one of vera_A and vera_B");
    if (saved_vera_a.defined()) {
      if (saved_vera_a.dim() != 2 || saved_vera_b.dim() != 2 || !saved_vera_a.is_floating_point() ||
          !saved_vera_b.is_floating_point())
        fail("[adapters] ", weights_path, ": vera_A and vera_B must be floating-point matrices");
      if (saved_vera_a.size(0) != vera_rank || saved_vera_a.size(1) < max_in || saved_vera_b.size(0) < max_out ||
          saved_vera_b.size(1) != vera_rank)
        fail("[adapters] ", weights_path, ": vera_A ", saved_vera_a.sizes(), " / vera_B ", saved_vera_b.sizes(),
             " are too small for rank ", vera_rank, " and layers up to ", max_out, "x", max_in);
      projections.a = saved_vera_a.to(torch::kFloat32).clone();
      projections.b = saved_vera_b.to(torch::kFloat32).clone();
    }
    projections.to(resolved.front().site->linear->weight.device());
    set->vera_projections = std::make_shared<VeraProjections>(projections);
  }
  auto generator = at::detail::createCPUGenerator(0);
  for (const auto& r : resolved) {
    auto adapter = make_adapter(r.site->linear, r.spec, generator, set->vera_projections);
    std::set<std::string> expected;
    for (const auto& entry : adapter->file_tensors()) expected.insert(entry.first);
    for (const auto& [suffix, key] : by_module.at(r.peft_module)) {
      adapter->load_file_tensor(suffix, weights->tensor(key), weights_path + ": '" + key + "'");
      expected.erase(suffix);
    }
    if (!expected.empty())
      fail("[adapters] ", weights_path, ": module '", r.peft_module, "' (", method_name(r.spec.method), ") lacks '",
           *expected.begin(), "'");
    set->add(r.site->path, adapter);
  }
  return set;
}

void save_peft_adapter(AdapterSet& set, const std::string& dir, bool multimodal_model) {
  namespace fs = std::filesystem;
  if (set.entries().empty()) fail("[adapters] set '", set.name(), "' is empty: nothing to save");
  fs::create_directories(dir);
  const KeyLayout& layout = peft_layout(multimodal_model);

  // A set with shared projections is a VERA file, any other a LORA file; LoRA's fields go into a
  // VERA file only when the set also holds methods that read them (PEFT warns about fields a
  // config class does not have).
  bool vera_family = false, lora_fields = false;
  std::map<int64_t, int> rank_count;
  for (const auto& entry : set.entries()) {
    const auto& method = method_info(entry.adapter->spec().method);
    vera_family = vera_family || method.shared_projections;
    lora_fields = lora_fields || method.takes_alpha;
    ++rank_count[entry.adapter->spec().rank];
  }
  lora_fields = lora_fields || !vera_family;
  const auto& first = set.entries().front().adapter->spec();
  // The file's own method; every other module is named in "vltune_methods".
  const bool use_dora = !vera_family && method_info(first.method).peft_native && method_info(first.method).use_dora;
  const MethodInfo* file_method = native_method(vera_family ? "VERA" : "LORA", use_dora);
  int64_t common_rank = first.rank;
  for (const auto& [rank, count] : rank_count)
    if (count > rank_count[common_rank]) common_rank = rank;

  nlohmann::json config = {{"peft_type", vera_family ? "VERA" : "LORA"},
                           {"r", common_rank},
                           {"bias", "none"},
                           {"fan_in_fan_out", false},
                           {"modules_to_save", nullptr},
                           {"inference_mode", true},
                           {"task_type", nullptr},
                           {"base_model_name_or_path", nullptr},
                           {"layers_to_transform", nullptr},
                           {"layers_pattern", nullptr}};
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  nlohmann::json rank_pattern = nlohmann::json::object(), alpha_pattern = nlohmann::json::object();
  nlohmann::json vltune_methods = nlohmann::json::object();
  std::string target_regex;
  for (const auto& entry : set.entries()) {
    const auto& spec = entry.adapter->spec();
    const std::string module = layout.to_checkpoint(entry.path + ".weight");
    const std::string peft_module = module.substr(0, module.size() - 7);
    target_regex += (target_regex.empty() ? "" : "|") + regex_escape(peft_module);
    if (spec.rank != common_rank) rank_pattern[regex_escape(peft_module)] = spec.rank;
    // The file has one use_rslora flag; a module's scaling is kept exact by writing the alpha that
    // gives it under that flag.
    const double alpha = spec.scaling() * (first.rslora ? std::sqrt(static_cast<double>(spec.rank)) : static_cast<double>(spec.rank));
    if (std::abs(alpha - first.alpha) > 1e-12 * std::abs(first.alpha)) alpha_pattern[regex_escape(peft_module)] = alpha;
    if (spec.method != file_method->method) vltune_methods[peft_module] = method_name(spec.method);
    for (auto& [suffix, tensor] : entry.adapter->file_tensors())
      tensors.emplace_back(kPrefix + peft_module + "." + suffix, tensor.detach().to(torch::kCPU).contiguous());
  }
  config["target_modules"] = "(" + target_regex + ")";
  if (lora_fields) {
    config["rank_pattern"] = rank_pattern;
    config["alpha_pattern"] = alpha_pattern;
    config["lora_alpha"] = first.alpha;
    config["use_rslora"] = first.rslora;
  }
  if (!vltune_methods.empty()) config["vltune_methods"] = vltune_methods;
  if (vera_family) {
    const auto& projections = *set.vera_projections;
    config["projection_prng_key"] = projections.seed;
    config["save_projection"] = true;
    config["vera_dropout"] = first.dropout;
    config["d_initial"] = first.d_initial;
    tensors.emplace_back("base_model.vera_A", projections.a.contiguous());
    tensors.emplace_back("base_model.vera_B", projections.b.contiguous());
  } else {
    config["lora_dropout"] = first.dropout;
    config["use_dora"] = use_dora;
    config["init_lora_weights"] = true;
  }
  safetensors::write_file((fs::path(dir) / "adapter_model.safetensors").string(), tensors);
  write_file_atomically((fs::path(dir) / "adapter_config.json").string(), config.dump(2) + "\n");
}

void restore_peft_adapter(AdapterSet& set, const std::string& dir, bool multimodal_model) {
  const auto path = (std::filesystem::path(dir) / "adapter_model.safetensors").string();
  const auto weights = safetensors::File::open(path);
  const KeyLayout& layout = peft_layout(multimodal_model);
  for (const auto& entry : set.entries())
    for (const auto& [suffix, tensor] : entry.adapter->file_tensors()) {
      const auto key = peft_key(layout, entry.path, suffix);
      if (!weights->find(key)) fail("[adapters] ", path, ": no tensor '", key, "' for ", entry.path);
      entry.adapter->load_file_tensor(suffix, weights->tensor(key), path + ": '" + key + "'");
    }
}

}  // namespace vltune::adapters
