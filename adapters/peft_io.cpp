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
#include "core/problems.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "multimodal/checkpoint_layouts.h"

namespace vltune::adapters {

namespace {

const std::string kPrefix = "base_model.model.";

// Config fields that change the computation and that vltune does not implement: each must be
// absent or at its neutral value.
const std::vector<std::string> kUnsupportedFields = {
    "fan_in_fan_out", "layers_to_transform", "layers_pattern", "layer_replication",
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

// adapter_config.json's checks and the spec every module starts from (LoRA's fields are read for
// VERA files too: vltune writes them there for sets that mix methods).
AdapterSpec read_base_spec(const JsonView& config, int64_t& vera_seed) {
  const std::string peft_type = config.str("peft_type");
  const MethodInfo* native = native_method(peft_type, peft_type == "LORA" && config.boolean_or("use_dora", false));
  if (!native) config.fail_at("peft_type", "'" + peft_type + "' is not supported (supported: " + native_types() + ")");
  for (const auto& field : kUnsupportedFields)
    if (config.raw().contains(field) && !neutral(config.raw()[field]))
      config.fail_at(field, "is set to " + config.raw()[field].dump() + ", which vltune does not support");
  if (config.str_or("bias", "none") != "none") config.fail_at("bias", "only \"none\" is supported");

  AdapterSpec spec;
  spec.rank = config.integer("r");
  check_rank(spec.rank, cat("[adapters] ", config.file(), ": key 'r'"));
  spec.alpha = config.number_or("lora_alpha", 8);
  spec.rslora = config.boolean_or("use_rslora", false);
  spec.method = native->method;
  if (!native->shared_projections) {
    spec.dropout = config.number_or("lora_dropout", 0);
  } else {
    spec.dropout = config.number_or("vera_dropout", 0);
    spec.d_initial = config.number_or("d_initial", 0.1);
    vera_seed = config.integer_or("projection_prng_key", 0);
  }
  return spec;
}

// adapter_model.safetensors: its tensors by PEFT module and suffix, and VeRA's saved projections.
struct AdapterFile {
  std::string path;
  std::shared_ptr<safetensors::File> weights;
  std::map<std::string, std::map<std::string, std::string>> by_module;  // PEFT module -> suffix -> key
  torch::Tensor vera_a, vera_b;
};

AdapterFile read_adapter_tensors(const std::string& path) {
  AdapterFile file{path, safetensors::File::open(path), {}, {}, {}};
  const auto suffixes = all_file_suffixes();
  for (const auto& info : file.weights->tensors()) {
    if (info.name == "base_model.vera_A" || info.name == "vera_A") { file.vera_a = file.weights->tensor(info.name); continue; }
    if (info.name == "base_model.vera_B" || info.name == "vera_B") { file.vera_b = file.weights->tensor(info.name); continue; }
    bool placed = false;
    if (info.name.rfind(kPrefix, 0) == 0)
      for (const auto& suffix : suffixes) {
        const auto tail = "." + suffix;
        if (info.name.size() > kPrefix.size() + tail.size() &&
            info.name.compare(info.name.size() - tail.size(), tail.size(), tail) == 0) {
          file.by_module[info.name.substr(kPrefix.size(), info.name.size() - kPrefix.size() - tail.size())][suffix] = info.name;
          placed = true;
          break;
        }
      }
    if (!placed) fail("[adapters] ", path, ": tensor '", info.name, "' is not an adapter tensor vltune knows");
  }
  if (file.by_module.empty()) fail("[adapters] ", path, ": holds no adapter tensors");
  return file;
}

struct Resolved {
  const LinearSite* site;
  AdapterSpec spec;
  std::string peft_module;
};

// One module's spec: the base spec, its method (vltune_methods, or the method its tensors make it:
// method_of_tensors), and for methods with rank and alpha those from the patterns and lora_A's shape.
AdapterSpec module_spec(const JsonView& config, const PeftPatterns& patterns, const AdapterSpec& base_spec, const AdapterFile& file,
                        const std::string& peft_module) {
  const auto& tensors = file.by_module.at(peft_module);
  const auto& methods = config.raw().contains("vltune_methods") ? config.raw()["vltune_methods"] : nlohmann::json();
  AdapterSpec spec = base_spec;
  if (methods.is_object() && methods.contains(peft_module))
    spec.method = parse_method(JsonView(methods, config.file(), "vltune_methods").str(peft_module), config.file() + ": vltune_methods");
  else
    spec.method = method_of_tensors(method_info(base_spec.method), tensors);
  if (method_info(spec.method).takes_alpha) {
    if (auto r = patterns.rank(peft_module)) spec.rank = static_cast<int64_t>(std::clamp(*r, -1.0, 1e18));
    if (auto a = patterns.alpha(peft_module)) spec.alpha = *a;
    if (tensors.count("lora_A.weight")) {
      const auto& shape = file.weights->find(tensors.at("lora_A.weight"))->shape;
      if (shape.size() != 2) fail("[adapters] ", file.path, ": '", tensors.at("lora_A.weight"), "' must be a matrix");
      spec.rank = shape[0];
    }
  }
  return spec;
}

// Every module of the file matched to a linear of the model (the file's key layout detected), all
// checked before one error names every module that does not fit.
std::vector<Resolved> resolve_modules(const std::string& dir, const JsonView& config, const PeftPatterns& patterns,
                                      const AdapterSpec& base_spec, const AdapterFile& file, const std::vector<LinearSite>& sites) {
  std::vector<std::string> module_weights, peft_weights;
  for (const auto& site : sites) module_weights.push_back(site.path + ".weight");
  for (const auto& entry : file.by_module) peft_weights.push_back(entry.first + ".weight");
  const KeyLayout& layout = multimodal::detect_layout(peft_weights, module_weights);
  std::map<std::string, const LinearSite*> site_of;
  for (const auto& site : sites) site_of[site.path] = &site;

  std::vector<Resolved> resolved;
  std::vector<std::string> problems;
  for (const auto& entry : file.by_module) {
    const auto& peft_module = entry.first;
    const auto path = layout.to_module(peft_module + ".weight");
    auto it = site_of.find(path.empty() ? "" : path.substr(0, path.size() - 7));
    if (it == site_of.end()) { problems.push_back("'" + peft_module + "' is not a linear module of this model"); continue; }
    if (!patterns.targets(peft_module)) problems.push_back("'" + peft_module + "' has tensors but is not in target_modules");
    const auto spec = module_spec(config, patterns, base_spec, file, peft_module);
    check_rank(spec.rank, cat("[adapters] ", dir, ": module '", peft_module, "'"));
    resolved.push_back({it->second, spec, peft_module});
  }
  fail_if_any(cat("[adapters] ", dir, ": the adapter does not fit the model (read with the ", layout.name, " layout)"), problems,
              "was it trained on a different base model?");
  return resolved;
}

// The projections the VeRA/DVoRA modules share: drawn from the seed and sized for the largest
// layer, or the file's own vera_A / vera_B (checked); none without such modules.
std::shared_ptr<VeraProjections> vera_projections(const std::vector<Resolved>& resolved, const AdapterFile& file, int64_t seed) {
  int64_t max_in = 0, max_out = 0, rank = 0;
  for (const auto& r : resolved)
    if (method_info(r.spec.method).shared_projections) {
      max_in = std::max(max_in, r.site->linear->in_features());
      max_out = std::max(max_out, r.site->linear->out_features());
      rank = r.spec.rank;
    }
  if (rank == 0) return nullptr;
  auto projections = VeraProjections::draw(rank, max_in, max_out, seed);
  const auto &a = file.vera_a, &b = file.vera_b;
  if (a.defined() != b.defined()) fail("[adapters] ", file.path, ": holds only one of vera_A and vera_B");
  if (a.defined()) {
    if (a.dim() != 2 || b.dim() != 2 || !a.is_floating_point() || !b.is_floating_point())
      fail("[adapters] ", file.path, ": vera_A and vera_B must be floating-point matrices");
    if (a.size(0) != rank || a.size(1) < max_in || b.size(0) < max_out || b.size(1) != rank)
      fail("[adapters] ", file.path, ": vera_A ", a.sizes(), " / vera_B ", b.sizes(), " are too small for rank ", rank,
           " and layers up to ", max_out, "x", max_in);
    projections.a = a.to(torch::kFloat32).clone();
    projections.b = b.to(torch::kFloat32).clone();
  }
  projections.to(resolved.front().site->linear->weight.device());
  return std::make_shared<VeraProjections>(projections);
}

// One module's adapter with every tensor its method needs read from the file.
std::shared_ptr<Adapter> load_module(const Resolved& r, const AdapterFile& file, torch::Generator& generator,
                                     const std::shared_ptr<VeraProjections>& projections) {
  auto adapter = make_adapter(r.site->linear, r.spec, generator, projections);
  std::set<std::string> expected;
  for (const auto& entry : adapter->file_tensors()) expected.insert(entry.first);
  for (const auto& [suffix, key] : file.by_module.at(r.peft_module)) {
    adapter->load_file_tensor(suffix, file.weights->tensor(key), file.path + ": '" + key + "'");
    expected.erase(suffix);
  }
  if (!expected.empty())
    fail("[adapters] ", file.path, ": module '", r.peft_module, "' (", method_name(r.spec.method), ") lacks '", *expected.begin(), "'");
  return adapter;
}

std::string checkpoint_module(const KeyLayout& layout, const std::string& module) {
  const auto key = layout.to_checkpoint(module + ".weight");
  return key.substr(0, key.size() - 7);
}

void copy_whole(const TensorSite& site, const torch::Tensor& value, const std::string& where) {
  if (value.sizes() != site.weight.sizes())
    fail("[adapters] ", where, ": shape ", value.sizes(), " does not fit ", site.module, " ", site.weight.sizes(),
         "; was it trained on a different base model?");
  torch::NoGradGuard no_grad;
  site.weight.copy_(value.to(site.weight.options()));
}

// The tensors a set trained whole (modules_to_save: embed_tokens, ...): copied into the model's
// own, and taken out of `file` so that what is left are the adapters' tensors.
std::vector<TensorSite> take_in_place(const JsonView& config, AdapterFile& file, torch::nn::Module& model, bool multimodal_model) {
  if (!config.has("modules_to_save")) return {};
  std::set<std::string> names;
  const auto& known = embedding_modules();
  for (const auto& item : config.items("modules_to_save")) {
    names.insert(item.string_value());
    if (std::find(known.begin(), known.end(), item.string_value()) == known.end())
      config.fail_at("modules_to_save", "names '" + item.string_value() +
                                            "': vltune trains only the embeddings whole (embed_tokens, patch_embedding, position_embedding)");
  }
  const KeyLayout& layout = peft_layout(multimodal_model);
  std::vector<TensorSite> taken;
  for (auto& site : embedding_sites(model)) {
    const auto leaf = site.module.substr(site.module.rfind('.') + 1);
    auto it = file.by_module.find(checkpoint_module(layout, site.module));
    if (!names.count(leaf) || it == file.by_module.end() || !it->second.count("weight")) continue;
    const auto& key = it->second.at("weight");
    copy_whole(site, file.weights->tensor(key), file.path + ": '" + key + "'");
    file.by_module.erase(it);
    taken.push_back(site);
  }
  for (const auto& [module, tensors] : file.by_module)
    if (names.count(module.substr(module.rfind('.') + 1)))
      fail("[adapters] ", file.path, ": '", module, "' (modules_to_save) is not an embedding of this model; was it trained on a different base model?");
  return taken;
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
  if (!fs::exists(config_path)) fail("[adapters] ", dir, ": no adapter_config.json (expected a PEFT adapter folder)");
  const auto document = read_json_file(config_path, kMaxConfigFileBytes);
  const JsonView config(document, config_path);
  int64_t vera_seed = 0;
  const AdapterSpec base_spec = read_base_spec(config, vera_seed);
  const PeftPatterns patterns(config);
  auto file = read_adapter_tensors((fs::path(dir) / "adapter_model.safetensors").string());
  auto in_place = take_in_place(config, file, model, multimodal_model);
  const auto sites = linear_sites(model);
  const auto resolved = file.by_module.empty() ? std::vector<Resolved>{} : resolve_modules(dir, config, patterns, base_spec, file, sites);

  auto set = std::make_unique<AdapterSet>(set_name);
  for (auto& site : in_place) set->train_in_place(std::move(site));
  set->vera_projections = vera_projections(resolved, file, vera_seed);
  auto generator = at::detail::createCPUGenerator(0);
  for (const auto& r : resolved) set->add(r.site->path, load_module(r, file, generator, set->vera_projections));
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
  nlohmann::json whole = nlohmann::json::array();  // PEFT's modules_to_save, by leaf name
  for (const auto& site : set.trained_in_place()) {
    tensors.emplace_back(kPrefix + checkpoint_module(layout, site.module) + ".weight", site.weight.detach().to(torch::kCPU).contiguous());
    const auto leaf = site.module.substr(site.module.rfind('.') + 1);
    if (std::find(whole.begin(), whole.end(), leaf) == whole.end()) whole.push_back(leaf);
  }
  if (!whole.empty()) config["modules_to_save"] = whole;
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
  for (const auto& site : set.trained_in_place()) {
    const auto key = kPrefix + checkpoint_module(layout, site.module) + ".weight";
    if (!weights->find(key)) fail("[adapters] ", path, ": no tensor '", key, "' for ", site.module);
    copy_whole(site, weights->tensor(key), path + ": '" + key + "'");
  }
}

}  // namespace vltune::adapters
