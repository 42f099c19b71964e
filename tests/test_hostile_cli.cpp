// cli/error_report: what `vltune` prints for any exception a command lets through (issue 12):
// one line saying what failed, for every exception type seen crashing the binary, and the
// data loader re-raising a worker thread's exception on the consumer's side.
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <system_error>
#include <vector>


#include "cli/error_report.h"
#include "datasets/loader.h"
#include "opencv_support.h"
#include "test_support.h"

namespace vltune::cli {
namespace {

template <class Throw>
std::string described(Throw&& thrower) {
  try {
    thrower();
  } catch (...) {
    return describe_exception(std::current_exception());
  }
  ADD_FAILURE() << "nothing was thrown";
  return "";
}

void expect_one_line(const std::string& message, const std::string& fragment) {
  EXPECT_THAT(message, HasSubstr(fragment));
  EXPECT_THAT(message, Not(HasSubstr("\n")));
  EXPECT_FALSE(message.empty());
}

TEST(ErrorReport, EveryExceptionTypeBecomesOneLine) {
  expect_one_line(described([] { nlohmann::json::parse(R"({"id": "1"})").at("id").get<int64_t>(); }), "[json]");
  expect_one_line(described([] { YAML::Load("[1, 2]").as<std::string>(); }), "[yaml]");
  expect_one_line(described([] { std::regex("(unclosed"); }), "[regex]");
  expect_one_line(described([] { std::vector<int>(2).at(5); }), "std::out_of_range");
  expect_one_line(described([] { throw std::bad_alloc(); }), "out of memory");
  expect_one_line(described([] {
                    std::ifstream in("/nonexistent/vltune");
                    in.exceptions(std::ios::failbit);
                  }),
                  "[io]");
  expect_one_line(described([] { static_cast<void>(std::filesystem::file_size("/nonexistent/vltune")); }), "[io]");
  expect_one_line(described([] { throw std::system_error(std::make_error_code(std::errc::no_space_on_device), "writing x"); }),
                  "[system] writing x");
  expect_one_line(described([] { throw std::runtime_error("two\nlines"); }), "two lines");
  expect_one_line(described([] { throw 42; }), "unknown exception");
  if (vltune::media::available()) expect_one_line(described([] { vltune::test::opencv_throw_its_exception(); }), "cv::Exception");
}

TEST(ErrorReport, VltuneErrorsKeepTheirLines) {
  const auto message = described([] { throw Error("[recipe] r.yaml: 2 problem(s):\n  - a\n  - b"); });
  EXPECT_EQ(message, "[recipe] r.yaml: 2 problem(s):\n  - a\n  - b");
}

TEST(ErrorReport, AWorkerThreadsExceptionReachesTheConsumer) {
  datasets::LoaderOptions options;
  options.workers = 2;
  datasets::DataLoader<int> loader(
      4, [](int64_t i) -> std::optional<int> { return i == 2 ? std::vector<int>{}.at(1) : static_cast<int>(i); }, options);
  std::string message;
  try {
    for (int i = 0; i < 4; ++i) loader.next();
  } catch (...) {
    message = describe_exception(std::current_exception());
  }
  expect_one_line(message, "std::out_of_range");
}

}  // namespace
}  // namespace vltune::cli
