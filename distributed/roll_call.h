// Who stopped a distributed job: after a collective failed, the surviving ranks answer a roll call
// on the rendezvous store; the ranks that do not answer within a grace period ended (killed,
// crashed) or hang, and a rank that failed on its own leaves its error there (publish_failure).
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <string>

namespace vltune::distributed {

inline constexpr std::chrono::milliseconds kRollCallGrace{5000};

// Leaves rank `rank`'s error message on the store.
void publish_failure(c10d::Store& store, int rank, const std::string& what);

// Answers for `rank`, waits up to `grace` for the other `size - 1` ranks, and says who is missing
// ("rank 1 did not answer within 5 s: it ended (killed or crashed) or hangs") or what a missing rank
// reported; `store_at` names the store for the case that it is gone with rank 0, its server.
std::string roll_call(c10d::Store& store, int rank, int size, std::chrono::milliseconds grace, const std::string& store_at);

// The first line of `text` (c10d's messages carry a C++ backtrace after it).
std::string first_line(const std::string& text);

}  // namespace vltune::distributed
