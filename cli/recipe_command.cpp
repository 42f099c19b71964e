// `vltune recipe check RECIPE [--set key=value ...]` validates a recipe (extends and overrides
// applied) and reports every problem at once; `vltune recipe keys` prints the schema as the
// Markdown table docs/recipes.md carries.
#include <iostream>

#include "cli/commands.h"
#include "training/recipe.h"
#include "training/recipe_schema.h"

namespace vltune::cli {

namespace {
const char* type_name(training::KeyType type) {
  switch (type) {
    case training::KeyType::kString: return "string";
    case training::KeyType::kInt: return "integer";
    case training::KeyType::kFloat: return "number";
    case training::KeyType::kBool: return "true/false";
    case training::KeyType::kEnum: return "choice";
    case training::KeyType::kList: return "list";
    case training::KeyType::kMap: return "map";
  }
  return "";
}
}  // namespace

void add_recipe_command(CLI::App& app) {
  auto* recipe = app.add_subcommand("recipe", "Recipes: check one, or list the keys");
  recipe->require_subcommand(1);
  auto* check = recipe->add_subcommand("check", "Validate a recipe and print where it is complete");
  auto path = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  check->add_option("recipe", *path, "Recipe YAML")->required()->check(CLI::ExistingFile);
  check->add_option("--set", *sets, "Override a key: --set train.lr=1e-4 (repeatable)");
  check->callback([path, sets] {
    const auto loaded = training::Recipe::load(*path, *sets);
    std::cout << *path << ": valid; model " << loaded.file_path("model.path") << ", " << loaded.str("data.template")
              << " template, lr " << loaded.number("train.lr") << " (" << loaded.str("train.schedule") << ")\n";
  });
  auto* keys = recipe->add_subcommand("keys", "Print every recipe key with its type, default and meaning (Markdown)");
  keys->callback([] {
    std::cout << "| key | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& key : training::recipe_schema()) {
      std::string type = type_name(key.type);
      if (!key.choices.empty()) {
        type.clear();
        for (const auto& c : key.choices) type += (type.empty() ? "" : " \\| ") + c;
      }
      std::cout << "| `" << key.path << "` | " << type << " | "
                << (key.required ? "required" : key.default_value.empty() ? "-" : "`" + key.default_value + "`") << " | "
                << key.meaning << " |\n";
    }
  });
}

}  // namespace vltune::cli
