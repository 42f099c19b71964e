#include "distributed/launch_env.h"

#include <cstdlib>
#include <limits>

#include "core/error.h"

namespace vltune::distributed {

namespace {

// A whole decimal number in [low, high], or an error naming the variable.
int64_t integer_variable(const char* name, const char* value, int64_t low, int64_t high) {
  const std::string text = value;
  std::size_t used = 0;
  int64_t number = 0;
  try {
    number = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || text.find_first_not_of("0123456789") != std::string::npos)
    fail("[distributed] environment variable ", name, "='", text, "': expected a whole number");
  if (number < low || number > high)
    fail("[distributed] environment variable ", name, "=", number, ": expected ", low, " to ", high);
  return number;
}

struct Names {
  const char *rank, *world, *local;
  const char* source;
};

}  // namespace

std::optional<LaunchEnv> read_launch_env(const std::function<const char*(const char*)>& get) {
  static const Names kTorchrun{"RANK", "WORLD_SIZE", "LOCAL_RANK", "torchrun"};
  static const Names kSlurm{"SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "Slurm"};
  const Names* names = get(kTorchrun.world) ? &kTorchrun : get(kSlurm.world) ? &kSlurm : nullptr;
  if (!names) return std::nullopt;
  constexpr int64_t kMaxWorld = 1 << 20;
  LaunchEnv env;
  env.source = names->source;
  env.world_size = static_cast<int>(integer_variable(names->world, get(names->world), 1, kMaxWorld));
  for (const char* name : {names->rank, names->local})
    if (!get(name)) fail("[distributed] ", names->world, " is set (", env.world_size, ") but ", name, " is not: start vltune with torchrun or srun");
  env.rank = static_cast<int>(integer_variable(names->rank, get(names->rank), 0, env.world_size - 1));
  env.local_rank = static_cast<int>(integer_variable(names->local, get(names->local), 0, env.world_size - 1));
  if (env.world_size == 1) return std::nullopt;
  const char* addr = get("MASTER_ADDR");
  const char* port = get("MASTER_PORT");
  if (!addr || !*addr) fail("[distributed] ", names->source, " launch of ", env.world_size, " processes without MASTER_ADDR (the host of rank 0)");
  if (!port) fail("[distributed] ", names->source, " launch of ", env.world_size, " processes without MASTER_PORT");
  env.master_addr = addr;
  env.master_port = static_cast<int>(integer_variable("MASTER_PORT", port, 1, std::numeric_limits<uint16_t>::max()));
  const char* agent_store = get("TORCHELASTIC_USE_AGENT_STORE");
  env.launcher_serves_store = agent_store && std::string(agent_store) == "True";
  if (const char* attempt = get("TORCHELASTIC_RESTART_COUNT"))
    env.attempt = static_cast<int>(integer_variable("TORCHELASTIC_RESTART_COUNT", attempt, 0, kMaxWorld));
  return env;
}

std::optional<LaunchEnv> launch_env() {
  return read_launch_env([](const char* name) { return std::getenv(name); });
}

}  // namespace vltune::distributed
