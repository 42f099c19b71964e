// `vltune recipe check RECIPE [--set key=value ...]` runs every check `vltune train` runs before
// its first step (the recipe against the schema, extends and overrides applied; the model and
// tokenizer loaded; the datasets read and a first sample prepared; the placement planned on the
// model: training/preflight.h), without training or writing anything. `vltune recipe keys` prints
// the schema as the Markdown table docs/recipes.md carries.
#include <iostream>

#include "cli/commands.h"
#include "training/preflight.h"
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
  auto* check = recipe->add_subcommand(
      "check", "Run every check `train` runs before its first step (model, data, media, placement), training nothing");
  auto path = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  check->add_option("recipe", *path, "Recipe YAML")->required()->check(CLI::ExistingFile);
  check->add_option("--set", *sets, "Override a key: --set train.lr=1e-4 (repeatable)");
  check->callback([path, sets] {
    const auto loaded = training::Recipe::load(*path, *sets);
    auto backbone = training::load_backbone(loaded);
    const auto run = training::prepare_run(loaded, backbone);
    std::cout << *path << ": valid; model " << loaded.file_path("model.path") << ", " << loaded.str("data.template")
              << " template, lr " << loaded.number("train.lr") << " (" << loaded.str("train.schedule") << ")\n  "
              << run.data.train.size() << " training samples (" << run.data.eval.size() << " for evaluation), "
              << run.data.bad->count() << " skipped; first prepared: " << run.first_sample << "\n  " << run.plan.size()
              << " adapted modules\n";
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
