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

// The fields of one row as csv_row writes it (without its "\n"): quoted fields unquoted, doubled
// quotes undoubled. Throws ([io]) naming `where` at an unterminated quote or text after a closing one.
std::vector<std::string> csv_fields(const std::string& line, const std::string& where);

}  // namespace vltune::analysis
