#include "core/checkpoint.h"

#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/problems.h"
#include "core/file_read.h"
#include "core/json_view.h"

namespace fs = std::filesystem;

namespace vltune {

Checkpoint Checkpoint::open(const std::string& path) {
  Checkpoint ckpt;
  ckpt.source_ = path;
  auto add_file = [&ckpt](const std::string& file) {
    ckpt.files_.push_back(safetensors::File::open(file));
    return ckpt.files_.size() - 1;
  };
  if (!fs::is_directory(path)) {
    const auto index = add_file(path);
    for (const auto& info : ckpt.files_[index]->tensors()) ckpt.where_[info.name] = index;
    return ckpt;
  }
  const fs::path folder(path);
  const fs::path single = folder / "model.safetensors";
  const fs::path index_path = folder / "model.safetensors.index.json";
  if (fs::exists(single)) {
    const auto index = add_file(single.string());
    for (const auto& info : ckpt.files_[index]->tensors()) ckpt.where_[info.name] = index;
    return ckpt;
  }
  if (!fs::exists(index_path))
    fail("[checkpoint] ", path, ": found neither model.safetensors nor model.safetensors.index.json");

  const auto json = read_json_file(index_path.string(), kMaxConfigFileBytes);
  const JsonView index(json, index_path.string());
  const JsonView weight_map = index.child("weight_map");
  std::map<std::string, std::size_t> shard_index;
  for (const auto& [name, shard] : weight_map.raw().items()) {
    if (!shard.is_string()) weight_map.fail_at(name, "expected a shard file name, found " + shard.dump());
    const std::string shard_name = shard.get<std::string>();
    auto it = shard_index.find(shard_name);
    if (it == shard_index.end()) {
      const std::string where = cat("[checkpoint] ", index_path.string(), ": key 'weight_map.", name, "'");
      it = shard_index.emplace(shard_name, add_file(file_inside(path, shard_name, where))).first;
    }
    if (!ckpt.files_[it->second]->find(name))
      weight_map.fail_at(name, "tensor is not in its shard " + ckpt.files_[it->second]->path());
    ckpt.where_[name] = it->second;
  }
  for (const auto& file : ckpt.files_)
    for (const auto& info : file->tensors())
      if (!ckpt.where_.count(info.name))
        fail("[checkpoint] ", index_path.string(), ": tensor '", info.name, "' in ", file->path(),
             " is missing from weight_map");
  return ckpt;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> names;
  for (const auto& entry : where_) names.push_back(entry.first);
  return names;
}

const safetensors::TensorInfo& Checkpoint::info(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) fail("[checkpoint] ", source_, ": no tensor named '", name, "'");
  return *files_[it->second]->find(name);
}

torch::Tensor Checkpoint::tensor(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) fail("[checkpoint] ", source_, ": no tensor named '", name, "'");
  return files_[it->second]->tensor(name);
}

LoadReport load_strict(torch::nn::Module& module, const Checkpoint& checkpoint, const KeyLayout& layout,
                       const std::map<std::string, std::string>& ignore) {
  LoadReport report;
  std::map<std::string, torch::Tensor> expected;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) expected[item.key()] = item.value();

  std::vector<std::string> problems;
  std::map<std::string, std::string> source_of;  // module name -> checkpoint name
  for (const auto& name : checkpoint.names()) {
    if (auto skip = ignore.find(name); skip != ignore.end()) {
      report.ignored.push_back(name + ": " + skip->second);
      continue;
    }
    const std::string target = layout.to_module(name);
    if (target.empty() || !expected.count(target)) {
      problems.push_back(cat("unexpected tensor '", name, "'", target.empty() ? "" : cat(" (would be '", target, "')")));
      continue;
    }
    auto [it, inserted] = source_of.emplace(target, name);
    if (!inserted) problems.push_back(cat("tensors '", it->second, "' and '", name, "' both map to '", target, "'"));
  }
  for (const auto& [target, param] : expected)
    if (!source_of.count(target))
      problems.push_back(cat("missing tensor for '", target, "' (looked for '", layout.to_checkpoint(target), "')"));
  for (const auto& [target, name] : source_of) {
    const auto& info = checkpoint.info(name);
    const auto& param = expected[target];
    if (c10::IntArrayRef(info.shape) != param.sizes())
      problems.push_back(cat("shape mismatch for '", name, "': checkpoint ", c10::IntArrayRef(info.shape), ", model ",
                             param.sizes()));
    if (c10::isFloatingType(info.dtype) != c10::isFloatingType(param.scalar_type()))
      problems.push_back(cat("dtype mismatch for '", name, "': checkpoint ", safetensors::dtype_name(info.dtype),
                             ", model ", c10::toString(param.scalar_type())));
  }
  fail_if_any(cat("[checkpoint] ", checkpoint.source(), ": ", problems.size(), " problem(s) loading with the ", layout.name,
                  " key layout"),
              problems, "is this checkpoint for a different model or config.json?");

  torch::NoGradGuard no_grad;
  for (const auto& [target, name] : source_of) {
    auto param = expected[target];
    auto value = checkpoint.tensor(name);
    ++report.tensors;
    if (value.scalar_type() == param.scalar_type() && param.device().is_cpu()) {
      param.set_data(value);
      ++report.as_stored;
    } else {
      param.copy_(value);
      report.converted += value.scalar_type() != param.scalar_type();
    }
  }
  return report;
}

}  // namespace vltune
