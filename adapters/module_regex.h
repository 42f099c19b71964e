// The regular expressions a PEFT adapter_config.json carries (target_modules as a string, the keys
// of rank_pattern and alpha_pattern), matched by RE2, a linear-time engine: whatever pattern a
// downloaded adapter holds, matching a module name takes time proportional to its length, where a
// backtracking engine (std::regex, Python's re) can run for minutes on "(a|a)*b"-like patterns.
//
// Matching follows Python's re.fullmatch, which PEFT uses, for the patterns people write (literal
// names, ., *, +, ?, {m,n}, classes, groups, alternation, \d \w \s, (?i)). Python's \Z is read as
// RE2's \z. What RE2 cannot express (backreferences, lookaround) is an error naming the pattern.
// Torch-free.
#pragma once
#include <memory>
#include <string>

namespace re2 {
class RE2;
}

namespace vltune::adapters {

class ModuleRegex {
 public:
  // Throws "<where>: pattern '<pattern>' ..." when RE2 cannot compile it.
  ModuleRegex(const std::string& pattern, const std::string& where);
  bool full_match(const std::string& text) const;  // re.fullmatch(pattern, text) is not None

 private:
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace vltune::adapters
