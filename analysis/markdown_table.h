// Markdown tables as the reports write them, and the number formats they share. Plain.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vltune::analysis {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::size_t text_columns = 3;  // the first columns are left-aligned text, the rest right-aligned numbers
};

// The table as Markdown; a '|' inside a cell is escaped.
std::string markdown(const Table& table);

// 1234567 as "1,234,567".
std::string with_thousands(int64_t value);

}  // namespace vltune::analysis
