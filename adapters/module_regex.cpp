#include "adapters/module_regex.h"

#include <re2/re2.h>

#include "core/error.h"

namespace vltune::adapters {

namespace {

constexpr int64_t kMaxProgramBytes = 8 << 20;  // RE2's compiled-program budget per pattern

// Python's spelling of what RE2 spells differently, outside character classes: \Z -> \z.
std::string to_re2_syntax(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      out += '\\';
      out += (!in_class && next == 'Z') ? 'z' : next;
      continue;
    }
    if (c == '[') in_class = true;
    else if (c == ']') in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

ModuleRegex::ModuleRegex(const std::string& pattern, const std::string& where) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxProgramBytes);
  auto re = std::make_shared<const RE2>(to_re2_syntax(pattern), options);
  if (!re->ok())
    fail(where, ": pattern '", pattern, "' cannot be matched in linear time: ", re->error(),
         " (vltune matches adapter patterns with RE2, which has no backreferences or lookaround)");
  re_ = std::move(re);
}

bool ModuleRegex::full_match(const std::string& text) const { return RE2::FullMatch(text, *re_); }

}  // namespace vltune::adapters
