// Adapter specs for tests, by field name: C++17 has no designated initializers, and a positional
// `AdapterSpec{Method::kDora, 3, 6, 0, false, true}` hides which flag is which. Instead:
//   test::spec(Method::kDora).rank(3).alpha(6).norm_grad()
// converts to an AdapterSpec whose other fields keep their defaults (adapters/adapter_spec.h).
// Plain: no LibTorch.
#pragma once
#include <cstdint>

#include "adapters/adapter_spec.h"

namespace vltune::test {

class SpecBuilder {
 public:
  explicit SpecBuilder(adapters::Method method) { spec_.method = method; }
  SpecBuilder& rank(int64_t value) { spec_.rank = value; return *this; }
  SpecBuilder& alpha(double value) { spec_.alpha = value; return *this; }
  SpecBuilder& dropout(double value) { spec_.dropout = value; return *this; }
  SpecBuilder& rslora(bool on = true) { spec_.rslora = on; return *this; }
  SpecBuilder& norm_grad(bool on = true) { spec_.norm_grad = on; return *this; }
  SpecBuilder& d_initial(double value) { spec_.d_initial = value; return *this; }
  operator adapters::AdapterSpec() const { return spec_; }  // NOLINT: implicit, so a builder stands where a spec goes
  adapters::AdapterSpec build() const { return spec_; }

 private:
  adapters::AdapterSpec spec_;
};

inline SpecBuilder spec(adapters::Method method) { return SpecBuilder(method); }

}  // namespace vltune::test
