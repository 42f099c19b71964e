#include "language/hf_post_processors.h"

#include <map>
#include <string>

#include "core/error.h"

namespace vltune::language {

namespace {

using Factory = HfPostProcessor (*)(const HfJson&);

HfPostProcessor byte_level(const HfJson&) {
  return [](std::vector<int64_t>&) {};
}

HfPostProcessor template_processing(const HfJson& node) {
  std::map<std::string, std::vector<int64_t>> specials;
  if (const auto table = node.find("special_tokens"))
    for (const auto& [name, entry] : table->members()) {
      auto& ids = specials[name];
      for (const auto& id : entry.at("ids").items()) ids.push_back(id.integer());
    }
  struct Part {
    bool text;  // sequence A
    std::vector<int64_t> ids;
  };
  std::vector<Part> parts;
  for (const auto& item : node.at("single").items()) {
    if (const auto special = item.find("SpecialToken")) {
      const auto name = special->str("id");
      const auto it = specials.find(name);
      if (it == specials.end()) special->at("id").fail("'" + name + "' is not listed in special_tokens");
      parts.push_back({false, it->second});
    } else if (const auto sequence = item.find("Sequence")) {
      if (sequence->str("id") != "A") sequence->at("id").fail("a single-sequence template can only name sequence A");
      parts.push_back({true, {}});
    } else {
      item.fail("expected a SpecialToken or a Sequence");
    }
  }
  return [parts](std::vector<int64_t>& ids) {
    std::vector<int64_t> out;
    for (const auto& part : parts) out.insert(out.end(), (part.text ? ids : part.ids).begin(), (part.text ? ids : part.ids).end());
    ids = std::move(out);
  };
}

HfPostProcessor sequence(const HfJson& node) { return sequence_of(node, "processors", make_hf_post_processor); }

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"TemplateProcessing", template_processing}, {"ByteLevel", byte_level}, {"Sequence", sequence}};
  return table;
}

}  // namespace

HfPostProcessor make_hf_post_processor(const HfJson& node) { return make_from_table(node, factories(), "post-processor"); }

}  // namespace vltune::language
