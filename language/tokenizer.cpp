#include "language/tokenizer.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "core/file_read.h"
#include "language/hf_tokenizer.h"
#include "language/sentencepiece_protocol.h"

extern char** environ;

namespace vltune::language {

namespace spm = spm_protocol;

// One `vltune-sentencepiece` child process and the pipes to it; calls are serialised.
class SentencePieceProcess {
 public:
  SentencePieceProcess() {
    const std::string program = server_path();
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
      fail("[tokenizer] cannot create pipes: ", std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    write_fd_ = to_child[1];
    read_fd_ = from_child[0];
    if (rc != 0) fail("[tokenizer] cannot start ", program, ": ", std::strerror(rc));
    // A child that died must surface as an error on our next write, not kill this process.
    ::signal(SIGPIPE, SIG_IGN);
  }
  ~SentencePieceProcess() {
    ::close(write_fd_);  // end of input: the child exits
    ::close(read_fd_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  SentencePieceProcess(const SentencePieceProcess&) = delete;
  SentencePieceProcess& operator=(const SentencePieceProcess&) = delete;

  // Sends one request and returns the reply's payload; throws with `context` on an error reply.
  std::string call(spm::Op op, const std::string& payload, const std::string& context) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint32_t size = static_cast<uint32_t>(payload.size());
    const uint8_t code = op;
    if (!write_all(&code, 1) || !write_all(&size, 4) || !write_all(payload.data(), payload.size()))
      fail(context, ": the SentencePiece process is gone");
    uint8_t ok = 0;
    uint32_t length = 0;
    if (!read_all(&ok, 1) || !read_all(&length, 4)) fail(context, ": the SentencePiece process stopped answering");
    std::string reply(length, '\0');
    if (length && !read_all(reply.data(), length)) fail(context, ": truncated reply from the SentencePiece process");
    if (!ok) fail(context, ": ", reply);
    return reply;
  }

 private:
  // $VLTUNE_SENTENCEPIECE_SERVER, else the build tree's program, else the installed one.
  static std::string server_path() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("VLTUNE_SENTENCEPIECE_SERVER")) candidates.push_back(env);
    candidates.push_back(VLTUNE_SENTENCEPIECE_SERVER_BUILD);
    candidates.push_back(VLTUNE_SENTENCEPIECE_SERVER_INSTALL);
    for (const auto& path : candidates)
      if (::access(path.c_str(), X_OK) == 0) return path;
    fail("[tokenizer] cannot find the vltune-sentencepiece program (looked at ", VLTUNE_SENTENCEPIECE_SERVER_BUILD, " and ",
         VLTUNE_SENTENCEPIECE_SERVER_INSTALL, "); set VLTUNE_SENTENCEPIECE_SERVER");
  }
  bool write_all(const void* data, std::size_t size) {
    return transfer_all(const_cast<void*>(data), size, [this](char* p, std::size_t n) { return ::write(write_fd_, p, n); });
  }
  bool read_all(void* data, std::size_t size) {
    return transfer_all(data, size, [this](char* p, std::size_t n) { return ::read(read_fd_, p, n); });
  }
  // Repeats a read or write until `size` bytes moved; false at end of file or on an error.
  template <class Transfer>
  static bool transfer_all(void* data, std::size_t size, Transfer transfer) {
    char* bytes = static_cast<char*>(data);
    while (size > 0) {
      const ssize_t n = transfer(bytes, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  pid_t pid_ = -1;
  int write_fd_ = -1, read_fd_ = -1;
  std::mutex mutex_;
};

namespace {
std::vector<int64_t> ints_of(const std::string& bytes) {
  std::vector<int32_t> narrow(bytes.size() / sizeof(int32_t));
  std::memcpy(narrow.data(), bytes.data(), narrow.size() * sizeof(int32_t));
  return {narrow.begin(), narrow.end()};
}
}  // namespace

Tokenizer Tokenizer::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) return from_model_dir(path);
  if (!fs::exists(path)) fail("[tokenizer] ", path, ": no such file");
  // A FIFO or device would make the SentencePiece process or the JSON reader block without an answer.
  require_regular_file(path, "[tokenizer]");
  Tokenizer tokenizer;
  tokenizer.path_ = path;
  if (fs::path(path).extension() == ".json") {
    const auto config = fs::path(path).parent_path() / "tokenizer_config.json";
    auto hf = std::make_shared<const HfTokenizer>(path, fs::is_regular_file(config) ? config.string() : "");
    tokenizer.vocab_size_ = hf->vocab_size();
    tokenizer.bos_ = hf->specials().bos;
    tokenizer.eos_ = hf->specials().eos;
    tokenizer.pad_ = hf->specials().pad;
    tokenizer.unk_ = hf->specials().unk;
    tokenizer.hf_ = std::move(hf);
    return tokenizer;
  }
  tokenizer.process_ = std::make_shared<SentencePieceProcess>();
  const auto info = ints_of(tokenizer.process_->call(spm::kLoad, path, "[tokenizer] " + path + ": not a SentencePiece model"));
  tokenizer.vocab_size_ = info.at(0);
  tokenizer.bos_ = info.at(1);
  tokenizer.eos_ = info.at(2);
  tokenizer.pad_ = info.at(3);
  tokenizer.unk_ = info.at(4);
  return tokenizer;
}

Tokenizer Tokenizer::from_model_dir(const std::string& model_dir) {
  namespace fs = std::filesystem;
  for (const char* name : {"tokenizer.json", "tokenizer.model"}) {
    const auto path = (fs::path(model_dir) / name).string();
    if (fs::exists(path)) return load(path);  // load() refuses a FIFO or device by name
  }
  fail("[tokenizer] ", model_dir, ": no tokenizer.json or tokenizer.model (train a SentencePiece one with "
       "`vltune tokenizer train`)");
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, bool add_specials) const {
  if (hf_) return hf_->encode(text, add_specials);
  auto ids = ints_of(process_->call(spm::kEncode, text, "[tokenizer] " + path_ + ": cannot encode text"));
  if (add_specials && bos_ >= 0) ids.insert(ids.begin(), bos_);
  return ids;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_specials) const {
  for (int64_t id : ids)
    if (id < 0 || id >= vocab_size_) fail("[tokenizer] ", path_, ": id ", id, " is outside the vocabulary of ", vocab_size_);
  if (hf_) return hf_->decode(ids, skip_specials);
  const std::vector<int32_t> narrow(ids.begin(), ids.end());
  return process_->call(spm::kDecode, std::string(reinterpret_cast<const char*>(narrow.data()), narrow.size() * 4),
                        "[tokenizer] " + path_ + ": cannot decode");
}

int64_t Tokenizer::piece_id(const std::string& piece) const {
  if (hf_) return hf_->token_to_id(piece).value_or(-1);
  return ints_of(process_->call(spm::kPiece, piece, "[tokenizer] " + path_)).at(0);
}

void train_tokenizer(const TokenizerTraining& o) {
  if (!std::filesystem::exists(o.input)) fail("[tokenizer] training input ", o.input, " does not exist");
  std::string symbols;
  for (const auto& token : o.special_tokens) symbols += (symbols.empty() ? "" : ",") + token;
  const std::string args = cat("--input=", o.input, " --model_prefix=", o.model_prefix, " --vocab_size=", o.vocab_size,
                               " --model_type=", o.model_type, " --character_coverage=1.0",
                               " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 --byte_fallback=true",
                               " --normalization_rule_name=identity --remove_extra_whitespaces=false",
                               " --minloglevel=2", symbols.empty() ? "" : " --user_defined_symbols=" + symbols);
  SentencePieceProcess process;
  process.call(spm::kTrain, args, "[tokenizer] training on " + o.input + " failed");
}

}  // namespace vltune::language
