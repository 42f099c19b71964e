// Finding a row of a data table (architectures, methods, dtypes) by name, with an error that lists
// what is supported.
#pragma once
#include <string>
#include <vector>

#include "core/error.h"

namespace vltune {

// The row whose name_of(row) equals `name`; otherwise throws "<what> '<name>' (supported: a, b)".
template <class Row, class NameOf>
const Row& lookup_by_name(const std::vector<Row>& rows, const std::string& name, NameOf name_of, const std::string& what) {
  std::string known;
  for (const auto& row : rows) {
    if (name_of(row) == name) return row;
    known += (known.empty() ? "" : ", ") + std::string(name_of(row));
  }
  fail(what, " '", name, "' (supported: ", known, ")");
}

}  // namespace vltune
