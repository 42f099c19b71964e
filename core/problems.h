// Checks that look at a whole input (a recipe, a checkpoint, a PEFT adapter, a placement) collect
// every problem and report them at once, in one form:
//   HEADING:
//     - problem
//     - problem
//     hint: HINT            (when a hint is given)
// HEADING opens with the area tag (core/error.h), "[recipe] r.yaml: 2 problem(s)".
#pragma once
#include <string>
#include <vector>

#include "core/error.h"

namespace vltune {

// Nothing when `problems` is empty; else throws the Error above.
inline void fail_if_any(const std::string& heading, const std::vector<std::string>& problems, const std::string& hint = "") {
  if (problems.empty()) return;
  std::string text = heading + ":";
  for (const auto& problem : problems) text += "\n  - " + problem;
  if (!hint.empty()) text += "\n  hint: " + hint;
  throw Error(text);
}

}  // namespace vltune
