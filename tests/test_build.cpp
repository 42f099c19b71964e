// The build's hygiene: a plain source (cmake/VltuneCompiler.cmake) never sees a LibTorch header,
// read from the compiler's own dependency records (`ninja -t deps`), and every source compiled with
// LibTorch uses it. Parsing LibTorch costs 10-20 s per translation unit, so a torch-free file that
// includes it by accident is a slow build, and this test names it.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

namespace fs = std::filesystem;

// One object file and the files the compiler read to make it.
struct ObjectDeps {
  std::string object;
  std::vector<std::string> inputs;
};

std::string normal(const std::string& path) { return fs::weakly_canonical(fs::path(path)).string(); }

// path -> "plain" | "torch", from the list CMake writes (vltune_sources.txt).
std::map<std::string, std::string> declared_sources() {
  std::map<std::string, std::string> kinds;
  std::ifstream in(VLTUNE_SOURCE_LIST);
  std::string kind, path;
  while (in >> kind >> path) kinds[normal(path)] = kind;
  return kinds;
}

std::vector<ObjectDeps> ninja_deps() {
  const std::string command = std::string(VLTUNE_NINJA) + " -C " + VLTUNE_BUILD_DIR + " -t deps";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::vector<ObjectDeps> objects;
  if (!pipe) return objects;
  char buffer[8192];
  while (std::fgets(buffer, sizeof buffer, pipe)) {
    std::string line(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.empty()) continue;
    if (line[0] != ' ') {
      objects.push_back({line.substr(0, line.find(": #deps")), {}});
    } else if (!objects.empty()) {
      const auto start = line.find_first_not_of(' ');
      std::string input = line.substr(start);
      if (fs::path(input).is_relative()) input = (fs::path(VLTUNE_BUILD_DIR) / input).string();
      objects.back().inputs.push_back(input);
    }
  }
  ::pclose(pipe);
  return objects;
}

bool is_libtorch_header(const std::string& path) {
  for (const char* part : {"/ATen/", "/c10/", "/torch/csrc/", "/caffe2/"})
    if (vltune::test::contains(path, part)) return true;
  return false;
}

std::string text_without_includes_and_comments(const fs::path& path) {
  std::ifstream in(path);
  std::string line, text;
  while (std::getline(in, line)) {
    if (line.rfind("#include", 0) == 0) continue;
    text += line.substr(0, line.find("//")) + "\n";
  }
  return text;
}

// Whether a source, or the header of the same name beside it, uses LibTorch: names it, calls a
// tensor's members, or calls vltune's API that takes or returns models, backbones and adapter sets
// (LibTorch modules) or runs the fuzz targets' bodies over them (fuzz/targets.h), which needs
// LibTorch's declarations.
bool uses_libtorch(const fs::path& source) {
  static const std::regex names(
      R"(\b(torch|at|c10|c10d)::|\bTensor\b|\bTORCH_|\.(item<|sizes\(\)|numel\(\)))"
      R"(|\b(load_model|LoadedModel|load_backbone|Backbone|linear_sites|AdapterSet|load_peft_adapter|save_peft_adapter)\b)"
      R"(|\b(export_model|build_media_cache|SamplePreparer|run_compare|parse_device)\b|\bfuzz::)");
  fs::path header = source;
  header.replace_extension(".h");
  for (const auto& file : {source, header})
    if (fs::exists(file) && std::regex_search(text_without_includes_and_comments(file), names)) return true;
  return false;
}

class BuildHygiene : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(VLTUNE_NINJA).empty()) GTEST_SKIP() << "needs the Ninja generator's dependency records";
    kinds_ = declared_sources();
    ASSERT_GT(kinds_.size(), 50u) << "no source list at " << VLTUNE_SOURCE_LIST;
    objects_ = ninja_deps();
    ASSERT_GT(objects_.size(), 50u) << "no dependency records in " << VLTUNE_BUILD_DIR;
  }
  // The project sources an object was compiled from (a unity object has several).
  std::vector<std::string> sources_of(const ObjectDeps& object) const {
    std::vector<std::string> sources;
    for (const auto& input : object.inputs) {
      const auto path = fs::path(input).extension() == ".cpp" ? normal(input) : std::string();
      if (!path.empty() && kinds_.count(path)) sources.push_back(path);
    }
    return sources;
  }
  std::map<std::string, std::string> kinds_;
  std::vector<ObjectDeps> objects_;
};

TEST_F(BuildHygiene, PlainSourcesNeverSeeLibTorch) {
  int plain_objects = 0;
  for (const auto& object : objects_) {
    bool torch = false;
    for (const auto& input : object.inputs) torch = torch || is_libtorch_header(input);
    for (const auto& source : sources_of(object)) {
      if (kinds_.at(source) != "plain") continue;
      ++plain_objects;
      EXPECT_FALSE(torch) << source << " is declared plain but its object " << object.object
                          << " includes LibTorch: a header it includes pulls LibTorch in";
    }
  }
  EXPECT_GT(plain_objects, 20) << "too few plain objects built to judge";
}

// Torch sources compile with the precompiled LibTorch header, whose contents the dependency records
// do not list; so this reads the declared list itself.
TEST_F(BuildHygiene, EverySourceBuiltWithLibTorchUsesIt) {
  int torch_sources = 0;
  for (const auto& [source, kind] : kinds_) {
    if (kind != "torch") continue;
    ++torch_sources;
    EXPECT_TRUE(uses_libtorch(source)) << source << " is built with LibTorch but names none of it: make it plain "
                                       << "(SOURCES in its folder's CMakeLists.txt), splitting a header if one pulls "
                                       << "LibTorch in";
  }
  EXPECT_GT(torch_sources, 20);
}

TEST_F(BuildHygiene, EveryCompiledSourceIsDeclaredPlainOrTorch) {
  std::set<std::string> compiled;
  for (const auto& object : objects_)
    for (const auto& input : object.inputs)
      if (fs::path(input).extension() == ".cpp" && !vltune::test::contains(input, "/tests/consumer/"))
        compiled.insert(normal(input));
  EXPECT_GT(compiled.size(), 50u);
  for (const auto& source : compiled)
    EXPECT_TRUE(kinds_.count(source)) << source << " is compiled but in no list of cmake/VltuneCompiler.cmake";
}

}  // namespace
