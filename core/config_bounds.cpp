#include "core/config_bounds.h"

#include <cmath>

#include "core/error.h"

namespace vltune::bounds {

int64_t integer_in(const JsonView& json, const std::string& key, int64_t low, int64_t high, std::optional<int64_t> fallback) {
  const int64_t value = fallback && !json.has(key) ? *fallback : json.integer(key);
  if (value < low || value > high) json.fail_at(key, cat(value, " is out of range [", low, ", ", high, "]"));
  return value;
}

double number_above(const JsonView& json, const std::string& key, double above, std::optional<double> fallback) {
  const double value = fallback && !json.has(key) ? *fallback : json.number(key);
  if (!std::isfinite(value) || value <= above) json.fail_at(key, cat(value, " must be a finite number greater than ", above));
  return value;
}

}  // namespace vltune::bounds
