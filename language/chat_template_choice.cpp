#include "language/chat_template_choice.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/json_view.h"

namespace vltune::language {

namespace {

struct TemplateRule {
  std::vector<std::string> markers;  // all must occur
  const char* name;
};

const std::vector<TemplateRule>& rules() {
  static const std::vector<TemplateRule> table = {
      {{"<|im_start|>"}, "chatml"},
      {{"[INST]"}, "llama2"},
      {{"USER:", "ASSISTANT:"}, "llava_v1"},
  };
  return table;
}

// A "chat_template" value: a string, or a list of {name, template} whose "default" one is used.
std::string template_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array())
    for (const auto& named : value)
      if (named.is_object() && named.value("name", "") == "default" && named.contains("template") && named["template"].is_string())
        return named["template"].get<std::string>();
  return "";
}

// The folder's Jinja template and the file it came from; "" when it has none.
std::pair<std::string, std::string> folder_template(const std::filesystem::path& dir) {
  for (const char* name : {"tokenizer_config.json", "chat_template.json"}) {
    const auto path = dir / name;
    if (!std::filesystem::is_regular_file(path)) continue;
    const auto document = read_json_file(path.string());
    if (document.is_object() && document.contains("chat_template")) {
      auto text = template_text(document["chat_template"]);
      if (!text.empty()) return {text, path.string()};
    }
  }
  const auto jinja = dir / "chat_template.jinja";
  if (std::filesystem::is_regular_file(jinja)) {
    std::ifstream in(jinja);
    std::stringstream text;
    text << in.rdbuf();
    return {text.str(), jinja.string()};
  }
  return {"", ""};
}

}  // namespace

std::string chat_template_for_model(const std::string& model_dir) {
  const auto [text, file] = folder_template(model_dir);
  if (text.empty()) return "";
  for (const auto& rule : rules()) {
    bool all = true;
    for (const auto& marker : rule.markers) all = all && text.find(marker) != std::string::npos;
    if (all) return rule.name;
  }
  std::string opening = text.substr(0, 120);
  for (auto& c : opening)
    if (c == '\n') c = ' ';
  fail("[template] ", file, ": vltune has no template matching the model's chat template (\"", opening,
       "...\"); set data.template to one of plain, llava_v1, llama2, chatml");
}

}  // namespace vltune::language
