// CSV as RFC 4180 writes it: fields holding a comma, quote or line break are quoted, with quotes
// doubled; rows end with "\n".
#pragma once
#include <string>
#include <vector>

namespace vltune::analysis {

std::string csv_field(const std::string& value);
std::string csv_row(const std::vector<std::string>& fields);

// A number with 12 significant digits; "" for NaN (a missing value).
std::string csv_number(double value);

}  // namespace vltune::analysis
