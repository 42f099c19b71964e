// Loads a model through the installed vltune and prints its parameter count.
#include <iostream>

#include "multimodal/model_loader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer MODEL_DIR\n";
    return 2;
  }
  auto loaded = vltune::multimodal::load_model(argv[1]);
  int64_t params = 0;
  for (const auto& p : loaded.model->parameters()) params += p.numel();
  std::cout << "loaded " << loaded.config.model_type << " with " << params << " parameters\n";
  return params > 0 ? 0 : 1;
}
