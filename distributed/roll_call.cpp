#include "distributed/roll_call.h"

#include <thread>
#include <vector>

#include "core/error.h"

namespace vltune::distributed {

namespace {

std::string key(const char* kind, int rank) { return cat("vltune/", kind, "/", rank); }

std::vector<uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::string ranks_text(const std::vector<int>& ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (std::size_t i = 0; i < ranks.size(); ++i) text += (i ? ", " : "") + std::to_string(ranks[i]);
  return text;
}

}  // namespace

void publish_failure(c10d::Store& store, int rank, const std::string& what) { store.set(key("failed", rank), bytes(first_line(what))); }

std::string roll_call(c10d::Store& store, int rank, int size, std::chrono::milliseconds grace, const std::string& store_at) {
  try {
    store.set(key("answered", rank), bytes("1"));
    const auto deadline = std::chrono::steady_clock::now() + grace;
    std::vector<int> missing;
    for (;;) {
      missing.clear();
      for (int r = 0; r < size; ++r)
        if (r != rank && !store.check({key("answered", r)})) missing.push_back(r);
      for (const int r : missing)  // a rank that failed on its own said why
        if (store.check({key("failed", r)})) {
          const auto message = store.get(key("failed", r));
          return cat("rank ", r, " failed: ", std::string(message.begin(), message.end()));
        }
      if (missing.empty() || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (missing.empty()) return "every rank answered a roll call afterwards, so the connection between them failed";
    return cat(ranks_text(missing), " did not answer within ", grace.count() / 1000.0,
               " s: ended (killed or crashed) or hanging");
  } catch (const std::exception&) {
    return cat("the rendezvous store at ", store_at, " is gone, so rank 0, which serves it, ended (killed or crashed)");
  }
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace vltune::distributed
