// Where a process stands in a distributed launch, read from the environment that torchrun or
// Slurm sets, and nothing else (vltune has no launcher of its own):
//   torchrun: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
//             TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent already serves the store at
//             MASTER_ADDR:MASTER_PORT, so rank 0 connects to it rather than serving one;
//             TORCHELASTIC_RESTART_COUNT: the attempt, which keeps its keys apart on that store
//   Slurm (srun): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR and MASTER_PORT
//                 exported by the batch script (docs/distributed.md)
// torchrun's variables win where both are set (torchrun started under srun). A process started
// with neither, or with a world size of 1, trains alone.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vltune::distributed {

struct LaunchEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  bool launcher_serves_store = false;
  int attempt = 0;
  std::string source;  // "torchrun" or "Slurm", for messages
};

// Reads the variables through `get` (getenv's contract: nullptr when unset). Returns nullopt when
// the process is alone (no launch variables, or a world of one). Throws an Error naming the
// variable when one is malformed or missing (a rank outside the world, no MASTER_ADDR, a port
// outside 1-65535).
std::optional<LaunchEnv> read_launch_env(const std::function<const char*(const char*)>& get);

// The same from this process' environment.
std::optional<LaunchEnv> launch_env();

}  // namespace vltune::distributed
