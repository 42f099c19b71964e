// adapters/decomposed_elementwise.h (label model, so that tools/gpu_check.sh runs it on CUDA): the DoRA family's column scale and its backward against ATen's
// operations, on VLTUNE_TEST_DEVICE: on the GPU machine that is vltune's CUDA kernels (packed rows and
// rows of odd width, each dtype, a bias and none), here the ATen path itself. The products are
// rounded as ATen rounds them, so they must agree bit for bit; the magnitude gradient (fp32 sums of
// fp32 products, divided) is checked against an fp64 one.
#include "adapters/decomposed_elementwise.h"
#include "tensor_test_support.h"

namespace vltune {
namespace {

using adapters::scale_columns;
using adapters::scale_columns_backward;

struct Shape {
  int64_t rows, cols;
};

class DecomposedElementwise : public ::testing::TestWithParam<torch::Dtype> {
 protected:
  // Drawn in fp32 on the CPU (the same numbers on every device), then moved and rounded.
  torch::Tensor drawn(const torch::Tensor& fp32, torch::Device device) const { return fp32.to(device, GetParam()); }
};

TEST_P(DecomposedElementwise, ScaleMatchesAtenBitForBit) {
  const auto device = test::test_device();
  for (const Shape shape : {Shape{1, 8}, Shape{257, 2048}, Shape{33, 37}, Shape{5, 256}, Shape{0, 16}}) {
    for (const bool with_bias : {false, true}) {
      torch::manual_seed(shape.rows * 31 + shape.cols);
      const auto z = drawn(torch::randn({shape.rows, shape.cols}), device);
      const auto g = drawn(torch::rand({shape.cols}) + 0.5, device);
      const auto bias = with_bias ? drawn(torch::randn({shape.cols}) * 10, device) : torch::Tensor();
      const auto expected_scaled = z * g;
      const auto out = scale_columns(z.clone(), g, bias);
      SCOPED_TRACE(std::to_string(shape.rows) + "x" + std::to_string(shape.cols) + (with_bias ? " with bias" : ""));
      EXPECT_TRUE(torch::equal(out.scaled, expected_scaled));
      EXPECT_TRUE(torch::equal(out.y, with_bias ? expected_scaled + bias : expected_scaled));
      if (!with_bias) {
        EXPECT_TRUE(out.y.is_same(out.scaled));
      }
    }
  }
}

TEST_P(DecomposedElementwise, BackwardMatchesAten) {
  const auto device = test::test_device();
  for (const Shape shape : {Shape{1, 8}, Shape{3080, 256}, Shape{300, 11008}, Shape{33, 37}, Shape{0, 16}}) {
    torch::manual_seed(shape.rows * 17 + shape.cols);
    const auto dy = drawn(torch::randn({shape.rows, shape.cols}), device);
    const auto g = drawn(torch::rand({shape.cols}) + 0.5, device);
    const auto scaled = drawn(torch::randn({shape.rows, shape.cols}), device);
    const auto divisor = (torch::rand({shape.cols}) + 0.25).to(device);  // fp32, as DoRA's magnitudes are
    const auto out = scale_columns_backward(dy, g, scaled, divisor);
    SCOPED_TRACE(std::to_string(shape.rows) + "x" + std::to_string(shape.cols));
    EXPECT_TRUE(torch::equal(out.h, dy * g));
    const auto reference = (dy.to(torch::kFloat64) * scaled.to(torch::kFloat64)).sum(0) / divisor.to(torch::kFloat64);
    ASSERT_EQ(out.magnitude_grad.scalar_type(), torch::kFloat32);
    // fp32 accumulation over `rows` products (ATen's path rounds each product to the dtype first).
    const double product_rounding = GetParam() == torch::kFloat32 ? 0 : (GetParam() == torch::kBFloat16 ? 4e-3 : 5e-4);
    // Divided by at least 0.25: the sum's error grows by up to 4.
    const double bound = 4 * (1e-5 * (1 + shape.rows) + product_rounding * std::sqrt(1.0 + shape.rows) * 4);
    EXPECT_LE(test::max_abs_diff(out.magnitude_grad, reference), bound);
  }
}

// The magnitude gradient is the same bits on every call: the CUDA kernel sums its bands of rows in
// a fixed order (it added them with atomics before, and DoRA's runs on an H200 differed between two
// identical tuning runs; docs/results.md). Tall shapes give the kernel many bands. Here, on the CPU,
// this is ATen's path, deterministic anyway; tools/gpu_check.sh runs it on the kernel.
TEST_P(DecomposedElementwise, BackwardGivesTheSameBitsOnEveryCall) {
  const auto device = test::test_device();
  for (const Shape shape : {Shape{16384, 256}, Shape{4099, 37}}) {
    torch::manual_seed(shape.rows + shape.cols);
    const auto dy = drawn(torch::randn({shape.rows, shape.cols}), device);
    const auto g = drawn(torch::rand({shape.cols}) + 0.5, device);
    const auto scaled = drawn(torch::randn({shape.rows, shape.cols}), device);
    const auto divisor = (torch::rand({shape.cols}) + 0.25).to(device);
    const auto first = scale_columns_backward(dy, g, scaled, divisor).magnitude_grad.clone();
    SCOPED_TRACE(std::to_string(shape.rows) + "x" + std::to_string(shape.cols));
    for (int call = 0; call < 20; ++call) EXPECT_TRUE(torch::equal(scale_columns_backward(dy, g, scaled, divisor).magnitude_grad, first));
  }
}

// norm = √max(‖W0ᵢ‖² + Bᵢ · mixedᵢ, 0), g = m / norm in g's dtype, divisor = m with 1 where m = 0,
// against the same in fp64; factored and magnitude-only (no parts), a zero magnitude, and a negative n²
// where factored.
TEST_P(DecomposedElementwise, ScalesMatchTheirDefinition) {
  const auto device = test::test_device();
  for (const bool factored : {true, false}) {
    torch::manual_seed(factored ? 3 : 4);
    const int64_t out = 1000, rank = 16;
    const auto base_sq = torch::rand({out}) + 0.5;
    auto magnitude = torch::rand({out}) + 0.5;
    magnitude[3] = 0.0;
    auto b = torch::randn({out, rank}) * 0.1, mixed = torch::randn({out, rank}) * 0.1;
    b[7].fill_(1.0);
    mixed[7].fill_(-1.0);  // B · mixed = -16 < -‖W0‖²: n² < 0 (rounding where ΔW ≈ -W0), clamped to 0
    const auto parts = factored ? adapters::FactoredNormParts{b.to(device), mixed.to(device)} : adapters::FactoredNormParts{};
    auto norm = torch::empty({out}, torch::dtype(torch::kFloat32).device(device));
    auto divisor = torch::empty_like(norm);
    auto g = torch::empty({out}, torch::dtype(GetParam()).device(device));
    adapters::write_scales(base_sq.to(device), parts, magnitude.to(device), norm, g, divisor);

    auto squared = base_sq.to(torch::kFloat64);
    if (factored) squared = squared + (b.to(torch::kFloat64) * mixed.to(torch::kFloat64)).sum(1);
    const auto expected_norm = squared.clamp_min(0).sqrt();
    SCOPED_TRACE(factored ? "factored" : "magnitude only");
    EXPECT_LE(test::max_abs_diff(norm, expected_norm), 1e-6);
    if (factored) {
      EXPECT_EQ(norm[7].item<double>(), 0.0);
    }
    EXPECT_TRUE(torch::equal(divisor.cpu(), magnitude.masked_fill(magnitude == 0, 1)));
    // g: m / norm rounded once to its dtype (the row with norm 0 gives inf, as ATen's division does).
    EXPECT_TRUE(torch::equal(g.cpu(), (magnitude / norm.cpu()).to(GetParam())));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, DecomposedElementwise, ::testing::Values(torch::kFloat32, torch::kFloat16, torch::kBFloat16),
                         [](const auto& info) { return std::string(c10::toString(info.param)); });

}  // namespace
}  // namespace vltune
