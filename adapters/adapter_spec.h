// What a recipe or a PEFT file says about one adapted module: its method and hyperparameters.
// Plain (no LibTorch): recipes are read and checked without it; adapters/adapter.h builds the
// adapters themselves.
#pragma once
#include <cstdint>
#include <string>

namespace vltune::adapters {

enum class Method { kLora, kDora, kMagnitude, kVera, kDvora, kFull };

// By the methods' table (method_table.h):
std::string method_name(Method method);                              // "lora", "dora", ...
Method parse_method(const std::string& name, const std::string& where);  // throws listing methods

struct AdapterSpec {
  Method method = Method::kLora;
  int64_t rank = 8;
  double alpha = 16;
  double dropout = 0;
  bool rslora = false;     // s = alpha / sqrt(rank) instead of alpha / rank
  bool norm_grad = false;  // DoRA / DVoRA: keep the gradient through the weight norm
  double d_initial = 0.1;  // VeRA / DVoRA: initial lambda_d
  double scaling() const;
};

// The largest rank accepted from an adapter file or a recipe: far above useful ranks, far below
// one whose matrices would exhaust memory, so "r": 100000000 is refused before any allocation.
inline constexpr int64_t kMaxAdapterRank = 1 << 14;
// Throws "<where>: rank R must be between 1 and kMaxAdapterRank".
void check_rank(int64_t rank, const std::string& where);

}  // namespace vltune::adapters
