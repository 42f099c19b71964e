// A checkpoint: every tensor of a model folder, whether it is one model.safetensors or shards
// listed by model.safetensors.index.json. Names are the checkpoint's own; KeyLayout maps them to
// vltune's module names, and load_strict() fills a module, refusing anything that doesn't fit.
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/key_layout.h"
#include "core/safetensors.h"

namespace vltune {

class Checkpoint {
 public:
  // `path` is a folder (model.safetensors or model.safetensors.index.json inside) or a
  // .safetensors file.
  static Checkpoint open(const std::string& path);

  const std::string& source() const { return source_; }
  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  const safetensors::TensorInfo& info(const std::string& name) const;
  torch::Tensor tensor(const std::string& name) const;  // zero-copy where possible
  std::size_t num_files() const { return files_.size(); }

 private:
  std::string source_;
  std::vector<std::shared_ptr<safetensors::File>> files_;
  std::map<std::string, std::size_t> where_;  // tensor name -> index into files_
};

struct LoadReport {
  std::size_t tensors = 0;
  std::size_t as_stored = 0;  // used as stored: zero-copy views of the mapped file where aligned
  std::size_t converted = 0;  // tensors converted to the module's dtype
  std::vector<std::string> ignored;  // "name: reason" for each tensor the caller chose to skip
};

// Loads every parameter of `module` from `checkpoint` through `layout`. Missing, unexpected and
// duplicate names and shape or dtype-kind mismatches are gathered into one error naming each.
// Floating tensors are converted to the parameter's dtype (bf16 -> fp32 is exact); a
// floating/integer mismatch is an error.
// `ignore` names checkpoint tensors to skip on purpose, each with the reason the report repeats.
LoadReport load_strict(torch::nn::Module& module, const Checkpoint& checkpoint, const KeyLayout& layout,
                       const std::map<std::string, std::string>& ignore = {});

}  // namespace vltune
