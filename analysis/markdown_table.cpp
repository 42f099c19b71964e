#include "analysis/markdown_table.h"

namespace vltune::analysis {

std::string markdown(const Table& table) {
  std::string out = "|";
  std::string rule = "|";
  for (std::size_t i = 0; i < table.headers.size(); ++i) {
    out += " " + table.headers[i] + " |";
    rule += i < table.text_columns ? "---|" : "---:|";
  }
  out += "\n" + rule + "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row) {
      std::string escaped;  // a '|' inside a cell would end it
      for (char c : cell) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
      out += " " + escaped + " |";
    }
    out += "\n";
  }
  return out;
}

std::string with_thousands(int64_t value) {
  auto digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return (value < 0 ? "-" : "") + digits;
}

}  // namespace vltune::analysis
