// Helpers for the suites that train through the vltune binary (test_train.cpp,
// test_qwen_train.cpp): a checkpoint's adapter tensors, and a run killed after its first checkpoint.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "core/safetensors.h"
#include "test_support.h"

namespace vltune::test {

// RUN_DIR/checkpoints/STEP/adapter/adapter_model.safetensors, each tensor copied out of the mapping.
inline std::map<std::string, torch::Tensor> adapter_tensors(const std::string& run_dir, const std::string& step) {
  const auto file = safetensors::File::open(run_dir + "/checkpoints/" + step + "/adapter/adapter_model.safetensors");
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& info : file->tensors()) tensors[info.name] = file->tensor(info.name).clone();
  return tensors;
}

// Starts `vltune train RECIPE --run-dir RUN_DIR`, and SIGKILLs it as soon as its checkpoint
// `first` is complete. True when it was killed while still training.
inline bool train_and_kill(const std::string& recipe, const std::string& run_dir,
                           const std::string& first = "step-00000002") {
  const std::string binary = vltune_binary();  // before fork: no allocation in the child
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(binary.c_str(), binary.c_str(), "train", recipe.c_str(), "--run-dir", run_dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!std::filesystem::exists(run_dir + "/checkpoints/" + first) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace vltune::test
