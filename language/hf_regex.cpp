#define PCRE2_CODE_UNIT_WIDTH 8
#include "language/hf_regex.h"

#include <pcre2.h>

#include "core/error.h"
#include "language/utf8.h"

namespace vltune::language {

struct HfRegex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

namespace {

// One match-data block and JIT stack per thread, shared by all patterns (only group 0 is read).
struct MatchScratch {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  MatchScratch() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~MatchScratch() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
};

MatchScratch& scratch() {
  thread_local MatchScratch one;
  return one;
}

}  // namespace

HfRegex::HfRegex(const std::string& pattern, const std::string& where) : where_(where) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto code = std::make_shared<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP, &error,
                             &offset, nullptr);
  if (!code->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    fail("[tokenizer] ", where, ": the regular expression cannot be compiled at offset ", offset, ": ",
         reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE);  // interpreted when JIT is unavailable
  code_ = std::move(code);
}

std::string HfRegex::escape(const std::string& literal) {
  // \Q...\E quotes everything but "\E" itself, which is split across two quoted runs.
  std::string out = "\\Q";
  for (std::size_t at = 0;;) {
    const auto end = literal.find("\\E", at);
    if (end == std::string::npos) {
      out += literal.substr(at);
      break;
    }
    out += literal.substr(at, end - at) + "\\\\E\\Q";
    at = end + 2;
  }
  return out + "\\E";
}

std::vector<std::pair<std::size_t, std::size_t>> HfRegex::find_all(std::string_view text) const {
  auto& s = scratch();
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t from = 0;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  while (from <= text.size()) {
    const int rc = pcre2_match(code_->code, subject, text.size(), from, PCRE2_NO_UTF_CHECK, s.data, s.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      fail("[tokenizer] ", where_, ": matching failed: ", reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(s.data);
    out.emplace_back(ovector[0], ovector[1]);
    if (ovector[1] > ovector[0]) {
      from = ovector[1];
    } else {
      if (ovector[1] >= text.size()) break;
      std::size_t length = 1;
      utf8::decode_at(text, ovector[1], &length);
      from = ovector[1] + length;
    }
  }
  return out;
}

std::string HfRegex::replace_all(std::string_view text, const std::string& content) const {
  std::string out;
  std::size_t at = 0;
  for (const auto& [start, end] : find_all(text)) {
    out.append(text.substr(at, start - at));
    out += content;
    at = end;
  }
  out.append(text.substr(at));
  return out;
}

std::string hf_pattern(const HfJson& pattern) {
  if (pattern.has("String")) return HfRegex::escape(pattern.str("String"));
  if (pattern.has("Regex")) return pattern.str("Regex");
  pattern.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

bool HfRegex::matches_at_start(std::string_view text, std::size_t* end) const {
  auto& s = scratch();
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                             PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, s.data, s.context);
  if (rc < 0) return false;
  *end = pcre2_get_ovector_pointer(s.data)[1];
  return true;
}

}  // namespace vltune::language
