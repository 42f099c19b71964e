#include "language/hf_normalizers.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <map>
#include <memory>
#include <vector>

#include "core/error.h"
#include "language/hf_regex.h"

namespace vltune::language {

namespace {

using Factory = HfNormalizer (*)(const HfJson&);

HfNormalizer unicode_form(const HfJson& node, const icu::Normalizer2* (*instance)(UErrorCode&)) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* form = instance(status);
  if (U_FAILURE(status)) node.fail(cat("ICU cannot provide this normalization: ", u_errorName(status)));
  return [form](std::string& text) {
    UErrorCode error = U_ZERO_ERROR;
    const auto source = icu::UnicodeString::fromUTF8(text);
    if (form->isNormalized(source, error) && U_SUCCESS(error)) return;
    error = U_ZERO_ERROR;
    const auto normalized = form->normalize(source, error);
    if (U_FAILURE(error)) fail("[tokenizer] Unicode normalization failed: ", u_errorName(error));
    text.clear();
    normalized.toUTF8String(text);
  };
}

HfNormalizer nfc(const HfJson& node) { return unicode_form(node, &icu::Normalizer2::getNFCInstance); }
HfNormalizer nfd(const HfJson& node) { return unicode_form(node, &icu::Normalizer2::getNFDInstance); }
HfNormalizer nfkc(const HfJson& node) { return unicode_form(node, &icu::Normalizer2::getNFKCInstance); }
HfNormalizer nfkd(const HfJson& node) { return unicode_form(node, &icu::Normalizer2::getNFKDInstance); }

HfNormalizer replace(const HfJson& node) {
  auto regex = std::make_shared<HfRegex>(hf_pattern(node.at("pattern")), node.at("pattern").where());
  const std::string content = node.str("content");
  return [regex, content](std::string& text) { text = regex->replace_all(text, content); };
}

HfNormalizer prepend(const HfJson& node) {
  const std::string prefix = node.str("prepend");
  return [prefix](std::string& text) {
    if (!text.empty()) text = prefix + text;
  };
}

HfNormalizer append(const HfJson& node) {
  const std::string suffix = node.str("append");
  return [suffix](std::string& text) {
    if (!text.empty()) text += suffix;
  };
}

HfNormalizer sequence(const HfJson& node) { return sequence_of(node, "normalizers", make_hf_normalizer); }

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"NFC", nfc},         {"NFD", nfd},         {"NFKC", nfkc},         {"NFKD", nfkd},
      {"Replace", replace}, {"Prepend", prepend}, {"Append", append}, {"Sequence", sequence},
  };
  return table;
}

}  // namespace

HfNormalizer make_hf_normalizer(const HfJson& node) { return make_from_table(node, factories(), "normalizer"); }

}  // namespace vltune::language
