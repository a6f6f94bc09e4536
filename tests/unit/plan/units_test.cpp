// Units: lcm alignment, the cap at the dim length, edge chunks, rank 0, empty dims, narrowing.
#include <set>

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

TEST(Units, AreLcmOfSourceAndOutputChunks) {
  auto p = make_plan({spec("t2m", {100, 60, 90}, {6, 20, 30}, {4, 60, 45})}, opts(1, 1));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].unit, (Shape{12, 60, 90}));
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{9, 1, 1}));
  expect_exact_cover(*p);
  expect_well_formed(*p);
}

TEST(Units, CappedLcmCoversTheWholeDim) {
  // lcm(7, 5) = 35 > 23: the unit is the whole dim (with its partial last chunk).
  auto p = make_plan({spec("v", {23, 40}, {7, 8}, {5, 40})}, opts(1, 1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{23, 40}));
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{1, 1}));
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{4, 5}));
  expect_exact_cover(*p);
}

TEST(Units, HugeLcmDoesNotOverflow) {
  // Coprime chunks near 2^32: the lcm (~2^64) is capped at the dim, not wrapped.
  const Index a = 4'294'967'291ULL, b = 4'294'967'279ULL, dim = 10'000'000'000ULL;
  auto p = make_plan({spec("v", {dim}, {a}, {b}, model::DType::u1)}, opts(1, 1, 100'000'000'000ULL));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].unit, (Shape{dim}));
}

TEST(Units, AlignedUnitsHoldWholeSourceAndOutputChunks) {
  const Shape shape{97, 37, 72}, chunks{5, 10, 16}, source{7, 10, 16};
  auto p = make_plan({spec("v", shape, chunks, source)}, opts(4, 2));
  ASSERT_TRUE(p.ok());
  const ArrayPlan& a = p->arrays[0];
  EXPECT_EQ(a.unit, (Shape{35, 10, 16}));
  for (std::size_t d = 0; d < shape.size(); ++d) {
    for (Index u = 0; u < a.unit_grid[d]; ++u) {
      const Index start = u * a.unit[d], end = std::min(start + a.unit[d], shape[d]);
      EXPECT_EQ(start % chunks[d], 0u);
      EXPECT_EQ(start % source[d], 0u);
      EXPECT_TRUE(end == shape[d] || (end % chunks[d] == 0 && end % source[d] == 0));
    }
  }
  expect_exact_cover(*p);
}

TEST(Units, EdgeChunksWhenShapesDoNotDivide) {
  auto p = make_plan({spec("v", {10, 7}, {4, 3}, {4, 3})}, opts(1, 1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{3, 3}));
  const auto batches = all_batches(*p);
  ASSERT_EQ(batches.size(), 9u);
  EXPECT_EQ(batches.back().elements, (model::Box{{8, 6}, {2, 1}}));
  EXPECT_EQ(batches.back().chunks, (model::Box{{2, 2}, {1, 1}}));
  EXPECT_EQ(unit_bytes(p->arrays[0]).back(), 2u * 1 * 4);
  expect_exact_cover(*p);
  expect_well_formed(*p);
}

TEST(Units, RankZeroArrayIsOneUnitAndOneBatch) {
  auto p = make_plan({spec("scalar", {}, {}, {}, model::DType::f8)}, opts(3, 2));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->arrays[0].unit.empty());
  EXPECT_TRUE(p->arrays[0].batch_chunks.empty());
  ASSERT_EQ(p->regions.size(), 1u);
  EXPECT_EQ(p->regions[0].bytes, 8u);
  const auto batches = all_batches(*p);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].chunks, (model::Box{}));
  EXPECT_EQ(batches[0].elements, (model::Box{}));
  EXPECT_EQ(p->total_bytes, 8u);
}

TEST(Units, ZeroLengthDimsGiveNoRegionsButStayInThePlan) {
  auto p = make_plan({spec("empty", {0, 5}, {1, 5}, {1, 5}), spec("v", {4}, {2}, {2}),
                      spec("empty2", {3, 0}, {3, 1}, {3, 1})},
                     opts(2, 2));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->arrays.size(), 3u);
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{0, 1}));
  EXPECT_EQ(p->arrays[2].unit_grid, (Shape{1, 0}));
  EXPECT_EQ(p->arrays[0].batch_footprint, 0u);
  for (const auto& r : p->regions) EXPECT_EQ(r.array, 1u);
  EXPECT_EQ(p->total_bytes, 16u);
  expect_exact_cover(*p);
  expect_well_formed(*p);
}

TEST(Units, ZeroLengthArrayNeedsNoMemory) {
  // No batch ever runs, so a chunk larger than the limit is no error.
  auto p = make_plan({spec("empty", {0, 1'000'000}, {1, 1'000'000}, {1, 1'000'000})}, opts(1, 1, 1000));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->regions.empty());
  EXPECT_EQ(p->max_batch_footprint, 0u);
}

TEST(Narrowing, MoreJobsThanUnitsNarrowsAlongChunkBoundaries) {
  // One source chunk spans the array: 1 unit, narrowed for 4 jobs, outermost dim first.
  auto p = make_plan({spec("v", {48, 40}, {6, 10}, {48, 40})}, opts(4, 4));
  ASSERT_TRUE(p.ok());
  const ArrayPlan& a = p->arrays[0];
  EXPECT_EQ(a.unit, (Shape{12, 40}));  // 8 -> 4 -> 2 chunks per unit on dim 0
  EXPECT_EQ(a.unit_grid, (Shape{4, 1}));
  std::set<int> ranks;
  for (const auto& r : p->regions) ranks.insert(r.rank);
  EXPECT_EQ(ranks.size(), 4u);
  expect_exact_cover(*p);
  expect_well_formed(*p);
}

TEST(Narrowing, MovesInwardWhenTheOuterDimIsOneChunkPerUnit) {
  auto p = make_plan({spec("v", {4, 40}, {4, 5}, {4, 40})}, opts(5, 5));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{4, 5}));  // 8 -> 4 -> 2 -> 1 chunk along dim 1
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{1, 8}));
  expect_exact_cover(*p);
}

TEST(Narrowing, OddChunkCountsRoundUp) {
  // 3 chunks per unit -> 2: units of 2 chunks and a last unit of 1. "w" makes a job's share
  // (160 bytes / 2 jobs) exactly a unit of 2 chunks, so narrowing stops there.
  auto p = make_plan({spec("v", {30}, {10}, {30}), spec("w", {10}, {1}, {1})}, opts(2, 2));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{20}));
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{2}));
  expect_exact_cover(*p);
}

TEST(Narrowing, PartialLastChunkStaysWhole) {
  // A capped unit (whole dim, 3 chunks with a partial last one) narrowed to chunk multiples.
  auto p = make_plan({spec("v", {25}, {10}, {25})}, opts(3, 1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{10}));
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{3}));
  expect_exact_cover(*p);
  expect_well_formed(*p);
}

TEST(Narrowing, LargestUnitsFirst) {
  // "small" has 2 units already; "big" is one unit 256x bigger and is narrowed first, until
  // its units hold at most a job's share (16448 / 4 bytes): 4 units of 4096 bytes.
  auto p = make_plan({spec("small", {2, 8}, {1, 8}, {1, 8}), spec("big", {64, 64}, {8, 8}, {64, 64})}, opts(4, 4));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{1, 8}));
  EXPECT_EQ(p->arrays[1].unit_grid, (Shape{4, 1}));
  expect_exact_cover(*p);
}

TEST(Narrowing, UnitsAboveAJobsShareAreNarrowedEvenWhenThereAreEnough) {
  // 1 + 4 units for 4 jobs, but the first holds 99% of the bytes: narrowed to 4 units.
  auto p = make_plan({spec("big", {64, 64}, {8, 8}, {64, 64}), spec("small", {4, 8}, {1, 8}, {1, 8})}, opts(4, 4));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{4, 1}));
  EXPECT_EQ(p->arrays[1].unit_grid, (Shape{4, 1}));
  std::set<int> ranks;
  for (const auto& r : p->regions)
    if (r.array == 0) ranks.insert(r.rank);
  EXPECT_EQ(ranks.size(), 4u);
  expect_exact_cover(*p);
  expect_well_formed(*p);
}

TEST(Narrowing, StopsAtOneChunkPerUnit) {
  auto p = make_plan({spec("v", {4, 4}, {4, 4}, {4, 4})}, opts(3, 3));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->regions.size(), 1u);  // one chunk: the other jobs stay idle
  auto q = make_plan({spec("v", {6, 4}, {2, 2}, {6, 4})}, opts(100, 7));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->arrays[0].unit, (Shape{2, 2}));
  EXPECT_EQ(q->regions.size(), 6u);
  expect_exact_cover(*q);
  expect_well_formed(*q);
}

TEST(Narrowing, NotNeededWhenUnitsSuffice) {
  auto p = make_plan({spec("v", {48, 40}, {6, 10}, {24, 40})}, opts(2, 2));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{24, 40}));
}

}  // namespace
}  // namespace zpmpi::plan
