// Shared helpers for the vltune test suites; torch-free (tensor_test_support.h adds the tensor ones).
#pragma once
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "language/tokenizer.h"
#include "vision/media/media.h"

// A test that decodes, encodes or writes media skips in a build without media support (vltune
// configured with VLTUNE_WITH_MEDIA=OFF, as on the GPU machine): the first line of its body.
#define SKIP_WITHOUT_MEDIA()                                                                        \
  if (!::vltune::media::available())                                                               \
  GTEST_SKIP() << "built without media support (VLTUNE_WITH_MEDIA=OFF or OpenCV/FFmpeg missing)"

// Text checks read as what they expect: EXPECT_THAT(output, HasSubstr("trained 12 steps")) and
// EXPECT_THAT(output, Not(HasSubstr("valid"))); a failure prints the whole text.
using ::testing::HasSubstr;
using ::testing::Not;

namespace vltune::test {

// Whether `text` contains `part`, for the tests' own logic (assertions use HasSubstr).
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline std::string data_path(const std::string& relative) { return std::string(VLTUNE_TEST_DATA) + "/" + relative; }

// A fresh folder under the system temp dir, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "vltune-test-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Expects `body` to throw vltune::Error whose message contains every one of `fragments`.
template <class Body>
void expect_error(Body&& body, std::initializer_list<std::string> fragments) {
  try {
    body();
    ADD_FAILURE() << "expected a vltune::Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments)
      EXPECT_THAT(message, HasSubstr(fragment)) << "message lacks '" << fragment << "':\n" << message;
  }
}

// The whole content of a file ("" when it cannot be read).
inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// How many times `what` occurs in `text`.
inline std::size_t count_occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The vltune binary the tests run: the one this build made, or $VLTUNE_TEST_BINARY, so that the
// command-level regression tests can be run against an older binary to show they failed before a
// fix (DEVELOPERS.md, "Regression tests").
inline std::string vltune_binary() {
  const char* other = std::getenv("VLTUNE_TEST_BINARY");
  return other && *other ? other : VLTUNE_BINARY;
}

// What a command printed (stdout and stderr together) and its exit status.
struct CommandResult {
  int status;
  std::string output;
};
// A shell command line, stdout and stderr together.
inline CommandResult run_shell(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = ::pclose(pipe);
  return {WEXITSTATUS(status), output};
}
inline CommandResult run_vltune(const std::string& args) { return run_shell(vltune_binary() + " " + args); }

// Runs the ffmpeg program with `arguments` (quiet, overwriting); a failure is a test failure too.
inline bool run_ffmpeg(const std::string& arguments) {
  const std::string command = "ffmpeg -nostdin -loglevel error -y " + arguments;
  const bool ok = std::system(command.c_str()) == 0;
  if (!ok) ADD_FAILURE() << command;
  return ok;
}

// A SentencePiece model of 296 pieces (ids 0-3 unk, bos, eos, pad), trained once per test process
// on a few generated questions and answers: it fits the fixtures' vocabulary of 300 and never
// produces their image token id 299.
inline const std::string& tiny_tokenizer_path() {
  static TempDir dir;
  static const std::string path = [] {
    std::ofstream text(dir.file("corpus.txt"));
    for (const char* colour : {"red", "blue", "green", "black"})
      for (const char* item : {"shoe", "shirt", "bag", "coat"})
        text << "USER: What colour is the " << item << "? ASSISTANT: It is " << colour << ".\n";
    text.close();
    language::train_tokenizer({dir.file("corpus.txt"), dir.file("tok"), 296, "bpe", {"<image>", "<video>"}});
    return dir.file("tok.model");
  }();
  return path;
}

inline std::string replace_prefix(const std::string& name, const std::string& from, const std::string& to) {
  return name.rfind(from, 0) == 0 ? to + name.substr(from.size()) : name;
}

// PEFT's in-memory parameter name for a file key: "...lora_A.weight" -> "...lora_A.default.weight".
// "...lora_magnitude_vector" -> "...lora_magnitude_vector.default.weight", "...vera_lambda_b" ->
// "...vera_lambda_b.default".
inline std::string peft_in_memory_name(const std::string& key) {
  const std::string weight = ".weight";
  if (key.size() >= weight.size() && key.compare(key.size() - weight.size(), weight.size(), weight) == 0)
    return key.substr(0, key.size() - weight.size()) + ".default" + weight;
  if (test::contains(key, "lora_magnitude_vector")) return key + ".default.weight";
  return key + ".default";
}

}  // namespace vltune::test
