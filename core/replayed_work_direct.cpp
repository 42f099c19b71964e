// ReplayedWork without CUDA: the work runs every time (core/replayed_work.h).
#include "core/replayed_work.h"

namespace vltune {

struct ReplayedWork::State {};

ReplayedWork::ReplayedWork() = default;
ReplayedWork::~ReplayedWork() = default;

void ReplayedWork::run(const torch::Device&, const std::vector<const void*>&, const std::function<void()>& work) { work(); }

int64_t ReplayedWork::captures() const { return 0; }

}  // namespace vltune
