// Distributed training on c10d (docs/distributed.md), as the issue's acceptance test asks: two
// `vltune train` processes started here with exactly the environment torchrun sets (Debian's own
// torchrun is broken), Gloo over loopback.
//   - Two ranks of batch 1 x 2 micro-batches train the adapter one process does with 1 x 4 (the
//     same global batch and seed), within 1e-6, and their evaluation's metrics are a single
//     process' (the eval set sharded, the answers gathered); rank 0 alone writes the run folder;
//     a resume with another number of processes is refused.
//   - kill -9 of one rank ends the other within the timeout, naming the killed rank; the last
//     checkpoint then resumes, and finishes exactly as a run that was never interrupted.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "analysis/run_checkpoints.h"
#include "core/safetensors.h"
#include "tensor_test_support.h"
#include "training/checkpoint_folders.h"
#include "training_run.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A TCP port that was free a moment ago (the kernel's pick), for MASTER_PORT.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// `vltune ARGS` as rank `rank` of `world`, with torchrun's variables (torch 2.x, --nproc-per-node
// `world`, one node, static rendezvous: this test is the launcher, so it serves no store itself),
// its output into `log`.
pid_t start_rank(const std::vector<std::string>& args, int rank, int world, int port, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const auto r = std::to_string(rank), w = std::to_string(world);
  for (const auto& [name, value] : std::vector<std::pair<const char*, std::string>>{
           {"RANK", r}, {"LOCAL_RANK", r}, {"GROUP_RANK", "0"}, {"ROLE_RANK", r}, {"ROLE_NAME", "default"},
           {"WORLD_SIZE", w}, {"LOCAL_WORLD_SIZE", w}, {"ROLE_WORLD_SIZE", w}, {"GROUP_WORLD_SIZE", "1"},
           {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(port)}, {"TORCHELASTIC_RESTART_COUNT", "0"},
           {"TORCHELASTIC_MAX_RESTARTS", "0"}, {"TORCHELASTIC_RUN_ID", "none"}, {"TORCHELASTIC_USE_AGENT_STORE", "False"},
           {"TORCH_NCCL_ASYNC_ERROR_HANDLING", "1"}, {"OMP_NUM_THREADS", "1"}})
    ::setenv(name, value.c_str(), 1);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  std::vector<char*> argv = {const_cast<char*>(VLTUNE_BINARY)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(VLTUNE_BINARY, argv.data());
  ::_exit(127);
}

// The exit status of `pid`, or -1 (and the process killed) when it runs past `limit`.
int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  for (int status = 0;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<std::string> train_args(const std::string& recipe, const std::string& run, const std::vector<std::string>& sets) {
  std::vector<std::string> args = {"train", recipe, "--run-dir", run};
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

struct Launch {
  std::vector<int> statuses;
  std::vector<std::string> logs;
};

// `world` ranks of `vltune train`, each allowed `limit`.
Launch launch(int world, const std::vector<std::string>& args, const std::string& log_prefix,
              std::chrono::seconds limit = std::chrono::seconds(300)) {
  const int port = free_port();
  std::vector<pid_t> pids;
  Launch result;
  for (int r = 0; r < world; ++r) pids.push_back(start_rank(args, r, world, port, log_prefix + std::to_string(r) + ".log"));
  for (int r = 0; r < world; ++r) {
    result.statuses.push_back(wait_for(pids[r], limit));
    result.logs.push_back(vltune::test::read_text_file(log_prefix + std::to_string(r) + ".log"));
  }
  return result;
}

std::map<std::string, torch::Tensor> adapter_of(const std::string& checkpoint) {
  const auto file = vltune::safetensors::File::open(checkpoint + "/adapter/adapter_model.safetensors");
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& info : file->tensors()) tensors[info.name] = file->tensor(info.name).to(torch::kFloat64);
  return tensors;
}

double max_difference(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double most = 0;
  for (const auto& [name, tensor] : a) {
    EXPECT_TRUE(b.count(name)) << name;
    if (b.count(name)) most = std::max(most, vltune::test::max_abs_diff(tensor, b.at(name)));
  }
  return most;
}

// The last line of RUN/metrics.jsonl of `kind` (train or eval).
nlohmann::json last_record(const std::string& run, const std::string& kind) {
  std::ifstream in(run + "/metrics.jsonl");
  nlohmann::json last;
  for (std::string line; std::getline(in, line);)
    if (auto record = nlohmann::json::parse(line); record["kind"] == kind) last = record;
  return last;
}

class DistributedTraining : public TrainingRun {
 protected:
  // DoRA on the LLaVA fixture, no dropout, a constant learning rate (a shortened run is a prefix
  // of a longer one) of 1e-3: AdamW's update is about lr wherever a gradient is near zero, so the
  // gradients' rounding (their sums in another order) reaches the adapter scaled by lr (1.3e-6 at
  // 1e-2 once the loss was fused, 5.5e-7 before), evaluated one sample per batch with generated answers (sampled: each
  // sample's generator starts from the seed, and greedy answers of this tiny model are empty).
  static std::string dora_recipe() {
    const auto path = dir_->file("distributed.yaml");
    std::ofstream(path) << R"(# vltune train distributed.yaml
model: {path: model}
adapters: {preset: attention_only, method: dora, rank: 4, alpha: 8}
data:
  train: {format: llava, path: fm/vqa_train.json}
  eval: {format: llava, path: fm/vqa_test.json}
  workers: 1
train: {steps: 3, batch_size: 1, grad_accum: 2, lr: 1e-3, schedule: constant, seed: 3}
eval: {metrics: [loss, perplexity, exact_match, bleu4], max_samples: 6, batch_size: 1, max_new_tokens: 4, strategy: sample}
output: {save_every: 1, keep_last: 0, log_every: 1}
distributed: {timeout: 30}
)";
    return path;
  }
};

TEST_F(DistributedTraining, TwoRanksTrainTheAdapterOfOneProcessWithTheSameGlobalBatch) {
  const auto recipe = dora_recipe();
  const auto two = dir_->file("two-ranks"), one = dir_->file("one-process");
  const auto ranks = launch(2, train_args(recipe, two, {}), dir_->file("two-rank"));
  for (int r = 0; r < 2; ++r) ASSERT_EQ(ranks.statuses[r], 0) << "rank " << r << ":\n" << ranks.logs[r];
  // One thread like each rank (torchrun's OMP_NUM_THREADS=1): the same kernels, so the gradients
  // differ only in the order of their sums (a thread count of its own would reorder more).
  ::setenv("OMP_NUM_THREADS", "1", 1);
  const auto single = vltune::test::run_vltune("train " + recipe + " --run-dir " + one + " --set train.grad_accum=4");
  ::unsetenv("OMP_NUM_THREADS");
  ASSERT_EQ(single.status, 0) << single.output;

  for (const auto* step : {"step-00000001", "step-00000003"}) {
    const double difference = max_difference(adapter_of(two + "/checkpoints/" + step), adapter_of(one + "/checkpoints/" + step));
    EXPECT_LE(difference, 1e-6) << step;
    std::cerr << step << ": the adapters differ by at most " << difference << "\n";
  }
  // The gradients were reduced: the adapter moved, and a rank alone would have trained another.
  EXPECT_GT(max_difference(adapter_of(two + "/checkpoints/step-00000003"), adapter_of(two + "/checkpoints/step-00000001")), 1e-4);

  const auto eval_two = last_record(two, "eval"), eval_one = last_record(one, "eval");
  for (const auto* metric : {"loss", "perplexity"}) {  // within 1e-6, relative (the adapters differ by rounding)
    const double expected = eval_one[metric].get<double>();
    EXPECT_NEAR(eval_two[metric].get<double>(), expected, 1e-6 * std::max(1.0, std::abs(expected))) << metric;
  }
  for (const auto* metric : {"exact_match", "bleu4"}) EXPECT_EQ(eval_two[metric].get<double>(), eval_one[metric].get<double>()) << metric;
  const auto answers = vltune::test::read_text_file(two + "/eval/step-3.jsonl");
  EXPECT_EQ(answers, vltune::test::read_text_file(one + "/eval/step-3.jsonl"));  // gathered in the samples' order
  EXPECT_EQ(vltune::test::count_occurrences(answers, "\"prediction\""), 6u);
  EXPECT_LT(vltune::test::count_occurrences(answers, "\"prediction\":\"\""), 6u) << "every answer is empty:\n" << answers;
  EXPECT_NEAR(last_record(two, "train")["loss"].get<double>(), last_record(one, "train")["loss"].get<double>(), 1e-6);

  // Rank 0 alone wrote the run folder: one event file, each step logged once; rank 1 printed no result.
  int event_files = 0;
  for (const auto& entry : fs::directory_iterator(two)) event_files += entry.path().filename().string().rfind("events.out", 0) == 0;
  EXPECT_EQ(event_files, 1);
  EXPECT_EQ(vltune::test::count_occurrences(vltune::test::read_text_file(two + "/metrics.jsonl"), "\"kind\":\"train\""), 3u);
  EXPECT_THAT(ranks.logs[0], HasSubstr("trained 3 steps"));
  EXPECT_THAT(ranks.logs[1], Not(HasSubstr("trained 3 steps")));
  EXPECT_THAT(vltune::test::read_text_file(two + "/checkpoints/step-00000003/state.json"), HasSubstr("\"world_size\": 2"));

  // One process cannot resume what two trained (the batch is per process), even with the run's own recipe.
  const auto other_size = vltune::test::run_vltune("train " + two + " --resume");
  EXPECT_NE(other_size.status, 0);
  EXPECT_THAT(other_size.output, HasSubstr("was written by a run of 2 process(es); this launch has 1"));
}

TEST_F(DistributedTraining, AKilledRankEndsTheJobNamingItAndTheCheckpointResumesExactly) {
  const auto recipe = dora_recipe();
  const auto run = dir_->file("killed");
  const int port = free_port();
  const auto args = train_args(recipe, run, {"train.steps=1000", "distributed.timeout=20"});
  const pid_t rank0 = start_rank(args, 0, 2, port, dir_->file("killed-0.log"));
  const pid_t rank1 = start_rank(args, 1, 2, port, dir_->file("killed-1.log"));
  const auto waited = Clock::now();
  while (!fs::exists(run + "/checkpoints/step-00000002") && Clock::now() - waited < std::chrono::seconds(240))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(run + "/checkpoints/step-00000002")) << vltune::test::read_text_file(dir_->file("killed-0.log"));
  ::kill(rank1, SIGKILL);
  const auto killed = Clock::now();
  EXPECT_EQ(wait_for(rank1, std::chrono::seconds(10)), 128 + SIGKILL);
  const int status = wait_for(rank0, std::chrono::seconds(60));
  const double seconds = std::chrono::duration<double>(Clock::now() - killed).count();
  const auto log = vltune::test::read_text_file(dir_->file("killed-0.log"));
  EXPECT_NE(status, 0) << log;
  EXPECT_NE(status, -1) << "rank 0 still ran 60 s after rank 1 was killed:\n" << log;
  EXPECT_LE(seconds, 20.0) << "more than the process-group timeout";
  EXPECT_THAT(log, HasSubstr("rank 1 did not answer"));
  std::cerr << "rank 0 ended " << seconds << " s after rank 1 was killed\n";

  // Both ranks resume the run from its own recipe.yaml and newest checkpoint, two steps further
  // (--override: train.steps changes); then the same number of steps uninterrupted.
  const auto latest = vltune::analysis::run_checkpoints(run).back();
  const auto target = "train.steps=" + std::to_string(latest.first + 2);
  const std::vector<std::string> resume_args = {"train", run, "--resume", "--override", "--set", target};
  const auto resumed = launch(2, resume_args, dir_->file("resumed"));
  for (int r = 0; r < 2; ++r) ASSERT_EQ(resumed.statuses[r], 0) << resumed.logs[r];
  const auto whole = dir_->file("uninterrupted");
  const auto reference = launch(2, train_args(recipe, whole, {target}), dir_->file("uninterrupted"));
  for (int r = 0; r < 2; ++r) ASSERT_EQ(reference.statuses[r], 0) << reference.logs[r];
  const auto last = vltune::training::checkpoint_folder_name(latest.first + 2);
  EXPECT_EQ(max_difference(adapter_of(run + "/checkpoints/" + last), adapter_of(whole + "/checkpoints/" + last)), 0.0);
}

}  // namespace
