// distributed/launch_env.h: the launch read from torchrun's and Slurm's variables, a process with
// neither alone, and every malformed variable refused by name.
#include <map>

#include "distributed/launch_env.h"
#include "test_support.h"

namespace vltune::distributed {
namespace {

std::optional<LaunchEnv> read(const std::map<std::string, std::string>& variables) {
  return read_launch_env([&](const char* name) -> const char* {
    const auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

const std::map<std::string, std::string> kTorchrun = {{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                                                      {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29500"}};

TEST(LaunchEnv, TorchrunsVariables) {
  const auto env = read(kTorchrun);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->rank, 3);
  EXPECT_EQ(env->world_size, 4);
  EXPECT_EQ(env->local_rank, 1);
  EXPECT_EQ(env->master_addr, "node7");
  EXPECT_EQ(env->master_port, 29500);
  EXPECT_EQ(env->source, "torchrun");
  EXPECT_FALSE(env->launcher_serves_store);
  EXPECT_EQ(env->attempt, 0);
  auto agent = kTorchrun;  // torchrun's agent serves the store; its second attempt
  agent.insert({{"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RESTART_COUNT", "1"}});
  EXPECT_TRUE(read(agent)->launcher_serves_store);
  EXPECT_EQ(read(agent)->attempt, 1);
}

TEST(LaunchEnv, SlurmsVariablesAndTorchrunFirst) {
  const auto env = read({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"MASTER_ADDR", "n1"}, {"MASTER_PORT", "1234"}});
  ASSERT_TRUE(env);
  EXPECT_EQ(env->rank, 5);
  EXPECT_EQ(env->world_size, 8);
  EXPECT_EQ(env->local_rank, 1);
  EXPECT_EQ(env->source, "Slurm");
  auto both = kTorchrun;  // torchrun started inside a Slurm allocation: torchrun's ranks count
  both.insert({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}, {"SLURM_LOCALID", "0"}});
  EXPECT_EQ(read(both)->rank, 3);
}

TEST(LaunchEnv, AloneWithoutALaunchOrInAWorldOfOne) {
  EXPECT_FALSE(read({}));
  EXPECT_FALSE(read({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"LOCAL_RANK", "0"}}));  // no MASTER_* needed then
  EXPECT_FALSE(read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}, {"SLURM_LOCALID", "0"}}));
}

TEST(LaunchEnv, MalformedVariablesAreRefusedByName) {
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> cases = {
      {{"RANK", "4"}, "RANK=4: expected 0 to 3"},
      {{"RANK", "-1"}, "RANK='-1': expected a whole number"},
      {{"WORLD_SIZE", "two"}, "WORLD_SIZE='two'"},
      {{"WORLD_SIZE", "0"}, "WORLD_SIZE=0: expected 1 to"},
      {{"LOCAL_RANK", "99999999999999999999"}, "LOCAL_RANK='99999999999999999999'"},
      {{"MASTER_PORT", "70000"}, "MASTER_PORT=70000: expected 1 to 65535"},
      {{"MASTER_PORT", "80a"}, "MASTER_PORT='80a'"},
      {{"MASTER_ADDR", ""}, "without MASTER_ADDR"},
  };
  for (const auto& [change, message] : cases) {
    auto variables = kTorchrun;
    variables[change.first] = change.second;
    test::expect_error([&] { read(variables); }, {"[distributed]", message});
  }
  auto no_port = kTorchrun;
  no_port.erase("MASTER_PORT");
  test::expect_error([&] { read(no_port); }, {"without MASTER_PORT"});
  auto no_rank = kTorchrun;
  no_rank.erase("RANK");
  test::expect_error([&] { read(no_rank); }, {"WORLD_SIZE is set (4) but RANK is not"});
}

}  // namespace
}  // namespace vltune::distributed
