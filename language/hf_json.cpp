#include "language/hf_json.h"

#include "core/error.h"

namespace vltune::language {

void HfJson::fail(const std::string& problem) const {
  vltune::fail("[tokenizer] ", *file_, ": ", path_.empty() ? std::string("the top level") : path_, ": ", problem);
}

bool HfJson::has(const std::string& key) const {
  return node_->is_object() && node_->contains(key) && !(*node_)[key].is_null();
}

HfJson HfJson::at(const std::string& key) const {
  if (!node_->is_object()) fail("expected an object, found " + node_->dump());
  if (!has(key)) HfJson(*node_, *file_, child_path(key)).fail("is required but missing");
  return HfJson((*node_)[key], *file_, child_path(key));
}

std::optional<HfJson> HfJson::find(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return at(key);
}

std::vector<HfJson> HfJson::items() const {
  if (!node_->is_array()) fail("expected an array, found " + node_->dump().substr(0, 200));
  std::vector<HfJson> out;
  out.reserve(node_->size());
  for (std::size_t i = 0; i < node_->size(); ++i) out.emplace_back((*node_)[i], *file_, cat(path_, "[", i, "]"));
  return out;
}

std::vector<std::pair<std::string, HfJson>> HfJson::members() const {
  if (!node_->is_object()) fail("expected an object, found " + node_->dump().substr(0, 200));
  std::vector<std::pair<std::string, HfJson>> out;
  for (auto it = node_->begin(); it != node_->end(); ++it) out.emplace_back(it.key(), HfJson(it.value(), *file_, child_path(it.key())));
  return out;
}

std::string HfJson::str() const {
  if (!node_->is_string()) fail("expected a string, found " + node_->dump().substr(0, 200));
  return node_->get<std::string>();
}

bool HfJson::boolean() const {
  if (!node_->is_boolean()) fail("expected true or false, found " + node_->dump().substr(0, 200));
  return node_->get<bool>();
}

int64_t HfJson::integer() const {
  if (!node_->is_number_unsigned()) fail("expected a non-negative integer, found " + node_->dump().substr(0, 200));
  const auto value = node_->get<uint64_t>();
  if (value > static_cast<uint64_t>(INT32_MAX)) fail(cat("the integer ", value, " is too large"));
  return static_cast<int64_t>(value);
}

std::string HfJson::str_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? str(key) : fallback;
}

bool HfJson::boolean_or(const std::string& key, bool fallback) const {
  return has(key) ? at(key).boolean() : fallback;
}

}  // namespace vltune::language
