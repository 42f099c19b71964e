// tests/opencv_support.h in a build without media support: nothing to call (the tests that would
// skip through media::available() first).
#include <stdexcept>

#include "opencv_support.h"

namespace vltune::test {

namespace {
[[noreturn]] void unavailable() {
  throw std::logic_error("tests/opencv_support.h: this build has no OpenCV; skip the test when !media::available()");
}
}  // namespace

void opencv_write_image(const std::string&, int, int, int, const std::array<int, 4>&, const std::vector<PaintedRect>&) {
  unavailable();
}
GreyStatistics opencv_grey_statistics(const std::string&) { unavailable(); }
void opencv_throw_its_exception() { unavailable(); }

}  // namespace vltune::test
