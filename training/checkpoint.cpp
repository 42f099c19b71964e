#include "training/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "adapters/peft_io.h"
#include "analysis/run_checkpoints.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_view.h"
#include "core/safetensors.h"
#include "training/checkpoint_folders.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {

void fsync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

constexpr int64_t kMaxEpoch = int64_t{1} << 30;
}  // namespace

TrainState read_train_state(const JsonView& json, const std::string& folder_name) {
  TrainState state;
  state.step = json.integer("step");
  const auto folder_step = analysis::checkpoint_step(folder_name);
  if (state.step < 0 || !folder_step || state.step != *folder_step)
    json.fail_at("step", cat(state.step, " does not match the folder ", folder_name, " (a damaged file?)"));
  state.optimizer_steps = json.integer("optimizer_steps");  // each step is at most one optimizer step
  if (state.optimizer_steps < 0 || state.optimizer_steps > state.step)
    json.fail_at("optimizer_steps", cat(state.optimizer_steps, " is out of range (0 to step ", state.step, "; a damaged file?)"));
  state.data.epoch = json.integer("data_epoch");
  state.data.cursor = json.integer("data_cursor");
  if (state.data.epoch < 0 || state.data.epoch > kMaxEpoch)
    json.fail_at("data_epoch", cat(state.data.epoch, " is out of range (0 to ", kMaxEpoch, ")"));
  if (state.data.cursor < 0) json.fail_at("data_cursor", cat(state.data.cursor, " is negative"));
  state.world_size = json.integer_or("world_size", 1);
  if (state.world_size < 1 || state.world_size > kMaxEpoch) json.fail_at("world_size", cat(state.world_size, " is out of range (1 to ", kMaxEpoch, ")"));
  return state;
}

std::string save_checkpoint(const std::string& run_dir, adapters::AdapterSet& set, const FlatAdamW& optimizer,
                            const TrainState& state, bool multimodal_model, int keep_last) {
  const auto name = checkpoint_folder_name(state.step);
  const auto root = fs::path(run_dir) / "checkpoints";
  const auto final_dir = root / name;
  const auto temp_dir = root / (name + ".tmp");
  if (fs::exists(final_dir))  // checkpoints are written beside the others, never over one
    fail("[checkpoint] ", final_dir.string(), " exists already; it is left as it is and no checkpoint of step ", state.step, " is written");
  fs::create_directories(root);
  fs::remove_all(temp_dir);  // a leftover from a crash mid-write
  fs::create_directories(temp_dir);

  adapters::save_peft_adapter(set, (temp_dir / "adapter").string(), multimodal_model);
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"values", optimizer.values()}, {"exp_avg", optimizer.exp_avg_view()}, {"exp_avg_sq", optimizer.exp_avg_sq_view()}};
  if (state.rng_state.defined()) tensors.emplace_back("rng_state", state.rng_state);
  safetensors::write_file((temp_dir / "optimizer.safetensors").string(), tensors);
  write_file_atomically((temp_dir / "state.json").string(),
                        nlohmann::json{{"step", state.step},
                                       {"optimizer_steps", optimizer.steps()},
                                       {"data_epoch", state.data.epoch},
                                       {"data_cursor", state.data.cursor},
                                       {"world_size", state.world_size}}
                                .dump(1) + "\n");
  fsync_folder(temp_dir / "adapter");
  fsync_folder(temp_dir);
  fs::rename(temp_dir, final_dir);
  fsync_folder(root);

  // Older checkpoints go only now that this newer one is complete.
  const auto all = analysis::run_checkpoints(run_dir);
  for (std::size_t i = 0; keep_last > 0 && i + keep_last < all.size(); ++i)
    if (all[i].first < state.step) fs::remove_all(all[i].second);
  return final_dir.string();
}

TrainState load_checkpoint(const std::string& checkpoint_dir, adapters::AdapterSet& set, FlatAdamW& optimizer,
                           bool multimodal_model) {
  const auto dir = fs::path(checkpoint_dir);
  const auto state_path = (dir / "state.json").string();
  const auto document = read_json_file(state_path);
  const JsonView json(document, state_path);
  auto state = read_train_state(json, dir.filename().string());  // checked before anything is restored
  adapters::restore_peft_adapter(set, (dir / "adapter").string(), multimodal_model);
  const auto moments = safetensors::File::open((dir / "optimizer.safetensors").string());
  torch::NoGradGuard no_grad;
  // The fp32 masters themselves, bit for bit (the PEFT file of a full fine-tune stores W0 + delta,
  // which does not give delta back exactly).
  for (const auto& [name, target] : {std::make_pair("values", optimizer.values()), std::make_pair("exp_avg", optimizer.exp_avg_view()),
                                     std::make_pair("exp_avg_sq", optimizer.exp_avg_sq_view())}) {
    const auto stored = moments->tensor(name);
    if (stored.sizes() != target.sizes())
      fail("[checkpoint] ", checkpoint_dir, ": ", name, " holds ", stored.numel(), " values but this run trains ", target.numel(),
           " (a different adapter placement?)");
    target.copy_(stored);
  }
  optimizer.set_steps(state.optimizer_steps);
  if (moments->find("rng_state")) state.rng_state = moments->tensor("rng_state").clone();
  return state;
}

}  // namespace vltune::training
