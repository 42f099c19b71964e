// language/rope.h's apply_rope against its ATen composite (label model, so that tools/gpu_check.sh
// runs it on CUDA, where apply_rope takes vltune's kernel; here both are the composite). The kernel
// rounds each product and sum as the composite's ops do, so output and input gradient must agree
// bit for bit, in each dtype, on the transposed [B, H, L, d] views attention hands it, with tables
// shared by the batch or per row (M-RoPE's), and with a gradient of any layout.
#include "language/rope.h"
#include "language/rope_kernels_launch.h"
#include "tensor_test_support.h"

#include <cstdio>

namespace vltune {
namespace {

using language::apply_rope;
using language::apply_rope_composite;

class RopeKernel : public ::testing::TestWithParam<torch::Dtype> {};

TEST_P(RopeKernel, OutputAndGradientEqualTheCompositeBitForBit) {
  const auto device = test::test_device();
  const auto options = torch::TensorOptions().dtype(GetParam()).device(device);
  struct Case {
    int64_t batch, heads, length, dim, table_rows;
  };
  for (const Case c : {Case{2, 4, 9, 64, 1}, Case{3, 2, 17, 128, 3}, Case{1, 1, 1, 2, 1}, Case{2, 3, 0, 8, 1}}) {
    SCOPED_TRACE(std::to_string(c.batch) + "x" + std::to_string(c.heads) + "x" + std::to_string(c.length) + "x" +
                 std::to_string(c.dim) + " tables " + std::to_string(c.table_rows));
    torch::manual_seed(c.length * 7 + c.dim);
    // As attention makes it: [B, L, H, d] viewed as [B, H, L, d].
    const auto x = torch::randn({c.batch, c.length, c.heads, c.dim}).to(options).transpose(1, 2).requires_grad_(true);
    const auto angles = torch::rand({c.table_rows, 1, c.length, c.dim}) * 50;
    const auto cos = angles.cos().to(options), sin = angles.sin().to(options);
    // A gradient laid out otherwise than the output (contiguous [B, H, L, d]).
    const auto dy = torch::randn({c.batch, c.heads, c.length, c.dim}).to(options);

    const auto y = apply_rope(x, cos, sin);
    const auto expected = apply_rope_composite(x, cos, sin);
    EXPECT_TRUE(torch::equal(y, expected));
    const auto dx = torch::autograd::grad({y}, {x}, {dy})[0];
    const auto expected_dx = torch::autograd::grad({expected}, {x}, {dy})[0];
    EXPECT_TRUE(torch::equal(dx, expected_dx)) << "max difference " << test::max_abs_diff(dx, expected_dx);
    if (language::kernels::rope_applies(x, cos, sin)) {
      EXPECT_THAT(y.grad_fn()->name(), ::testing::HasSubstr("RopeOnKernel"));
      std::printf("[rope] on vltune's kernel\n");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, RopeKernel, ::testing::Values(torch::kFloat32, torch::kFloat16, torch::kBFloat16),
                         [](const auto& info) { return std::string(c10::toString(info.param)); });

}  // namespace
}  // namespace vltune
