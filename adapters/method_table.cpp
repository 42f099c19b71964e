#include "adapters/method_table.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/lookup.h"

namespace vltune::adapters {

const std::vector<MethodInfo>& method_table() {
  // Each row: the method's names and PEFT form, what it takes, its tensors, and its size. The math
  // is in the method's own file (lora.h, dora.h, ...); its factory in adapter_set.cpp.
  static const std::vector<MethodInfo> table = {
      {Method::kLora, "lora", "LORA", /*peft_native=*/true, /*use_dora=*/false, /*rank=*/true, /*alpha=*/true,
       /*shared_projections=*/false, {"lora_A.weight", "lora_B.weight"}, {}, "",
       [](const AdapterSpec& s, int64_t out, int64_t in) { return s.rank * (in + out); }},
      {Method::kDora, "dora", "LORA", true, /*use_dora=*/true, true, true, false,
       {"lora_A.weight", "lora_B.weight", "lora_magnitude_vector"}, {"magnitude"}, "",
       [](const AdapterSpec& s, int64_t out, int64_t in) { return s.rank * (in + out) + out; }},
      {Method::kMagnitude, "magnitude", "LORA", /*peft_native=*/false, false, /*rank=*/false, /*alpha=*/false, false,
       {"lora_magnitude_vector"}, {"magnitude"}, "", [](const AdapterSpec&, int64_t out, int64_t) { return out; }},
      {Method::kVera, "vera", "VERA", true, false, true, /*alpha=*/false, /*shared_projections=*/true,
       {"vera_lambda_b", "vera_lambda_d"}, {"lambda_b", "lambda_d"}, "",
       [](const AdapterSpec& s, int64_t out, int64_t) { return out + s.rank; }},
      {Method::kDvora, "dvora", "VERA", /*peft_native=*/false, false, true, false, true,
       {"vera_lambda_b", "vera_lambda_d", "lora_magnitude_vector"}, {"lambda_b", "lambda_d", "magnitude"},
       "is DVoRA (VeRA with a magnitude), which PEFT cannot load: its VeRA has no magnitude vector",
       [](const AdapterSpec& s, int64_t out, int64_t) { return 2 * out + s.rank; }},
      {Method::kFull, "full", "LORA", false, false, /*rank=*/false, false, false, {"weight"}, {},
       "is fully fine-tuned (method full), which PEFT has no adapter form for",
       [](const AdapterSpec&, int64_t out, int64_t in) { return out * in; }},
  };
  return table;
}

const MethodInfo& method_info(Method method) {
  for (const auto& row : method_table())
    if (row.method == method) return row;
  fail("[adapters] a method enum with no row in method_table()");
}

std::string method_name(Method method) { return method_info(method).name; }

Method parse_method(const std::string& name, const std::string& where) {
  return lookup_by_name(method_table(), name, [](const MethodInfo& row) { return row.name; },
                        where + ": unknown adapter method").method;
}

int64_t trainable_parameters(const AdapterSpec& spec, int64_t out, int64_t in) {
  return method_info(spec.method).parameters(spec, out, in);
}

std::vector<std::string> all_file_suffixes() {
  std::set<std::string> unique;
  for (const auto& row : method_table()) unique.insert(row.file_suffixes.begin(), row.file_suffixes.end());
  std::vector<std::string> suffixes(unique.begin(), unique.end());
  std::stable_sort(suffixes.begin(), suffixes.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return suffixes;
}

}  // namespace vltune::adapters
