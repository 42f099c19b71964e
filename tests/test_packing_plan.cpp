// training/packing.h: the first-fit-decreasing plan that packed batches (data.packing) follow.
#include <gtest/gtest.h>

#include "test_support.h"
#include "training/packing.h"

namespace vltune::training {
namespace {

std::vector<std::vector<std::size_t>> samples_of(const std::vector<PackedRow>& rows) {
  std::vector<std::vector<std::size_t>> out;
  for (const auto& row : rows) out.push_back(row.samples);
  return out;
}

TEST(PackingPlan, LongestFirstIntoTheFirstRowWithRoomSamplesInBatchOrderWithinARow) {
  // 30 opens row 0, 25 row 1; 12 does not fit row 0 (42) but row 1 (37); 10 fits row 0 (40).
  const auto rows = pack_rows({10, 30, 25, 12}, 40);
  EXPECT_EQ(samples_of(rows), (std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}}));
  EXPECT_EQ(rows[0].length, 40);
  EXPECT_EQ(rows[1].length, 37);
  EXPECT_EQ(row_major_order(rows), (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST(PackingPlan, EqualLengthsKeepTheirOrderAndTheSamePlanComesBack) {
  const std::vector<int64_t> lengths = {5, 7, 5, 7, 5, 3};
  const auto rows = pack_rows(lengths, 12);
  EXPECT_EQ(samples_of(rows), (std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}, {4, 5}}));
  EXPECT_EQ(samples_of(pack_rows(lengths, 12)), samples_of(rows));
  // Row-major order is not batch order when a later sample joins an earlier row.
  EXPECT_EQ(row_major_order(pack_rows({6, 6, 2}, 8)), (std::vector<std::size_t>{0, 2, 1}));
}

TEST(PackingPlan, EverySampleOnceAndNoRowOverTheBudget) {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 40; ++i) lengths.push_back(1 + (i * 37) % 29);
  const auto rows = pack_rows(lengths, 29);
  std::vector<int> seen(lengths.size(), 0);
  for (const auto& row : rows) {
    int64_t sum = 0;
    for (const auto i : row.samples) {
      ++seen[i];
      sum += lengths[i];
    }
    EXPECT_EQ(sum, row.length);
    EXPECT_LE(row.length, 29);
  }
  EXPECT_EQ(seen, std::vector<int>(lengths.size(), 1));
  EXPECT_LT(rows.size(), lengths.size());
}

TEST(PackingPlan, OneSamplePerRowIsTheUnpackedBatch) {
  const auto rows = one_sample_per_row({4, 9});
  EXPECT_EQ(samples_of(rows), (std::vector<std::vector<std::size_t>>{{0}, {1}}));
  EXPECT_EQ(rows[1].length, 9);
}

TEST(PackingPlan, ASampleLongerThanTheBudgetIsAnErrorNamingTheKey) {
  test::expect_error([] { pack_rows({3, 41}, 40); }, {"[train]", "41 tokens", "data.max_length 40"});
  test::expect_error([] { pack_rows({3}, 0); }, {"data.max_length"});
}

}  // namespace
}  // namespace vltune::training
