// 64-bit sizes, planned on paper: dims beyond 2^31 and arrays beyond 4 GiB, never allocated.
#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

TEST(Sizes, DimsBeyond2To31) {
  // 3e9 x 2e5 float32: 2.4 PB in 3000 x 200 units.
  const Index big = 3'000'000'000ULL;
  auto p = make_plan({spec("v", {big, 200'000}, {1'000'000, 1000}, {1'000'000, 1000})},
                     opts(4096, 4096, 64'000'000'000ULL));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->total_bytes, big * 200'000 * 4);
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{3000, 200}));
  expect_well_formed(*p);
  // The last batch of the last region reaches the far corner.
  Batch last;
  for_each_batch(*p, p->regions.back(), [&](const Batch& b) { last = b; });
  EXPECT_EQ(last.elements.start[0] + last.elements.count[0], big);
  EXPECT_EQ(last.elements.start[1] + last.elements.count[1], 200'000u);
  EXPECT_EQ(last.chunks.start[0], 2999u);
}

TEST(Sizes, OneChunkOver4GiB) {
  // A 6 GB chunk: the footprint is counted in 64 bits (and fits a 20 GB limit).
  const Index n = 1'500'000'000ULL;
  auto p = make_plan({spec("v", {2 * n}, {n}, {n})}, opts(2, 2, 20'000'000'000ULL));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const std::uint64_t chunk = n * 4;
  EXPECT_EQ(p->arrays[0].batch_footprint, 2 * chunk + max_encoded_size(chunk));
  auto q = make_plan({spec("v", {2 * n}, {n}, {n})}, opts(2, 2, 4'000'000'000ULL));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().message, "memory_limit 4GB is too low: one batch of array v needs 18.1GB");
}

TEST(Sizes, EdgeUnitsBeyond2To32Elements) {
  // 5e9 elements in units of 2^32: the last unit is 5e9 - 2^32 elements. (Units of one
  // chunk: a unit above a job's share that could be narrowed would be.)
  const Index dim = 5'000'000'000ULL, unit = 1ULL << 32;
  auto p = make_plan({spec("v", {dim}, {unit}, {unit}, model::DType::u1)}, opts(2, 2, 1ULL << 40));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].unit, (Shape{unit}));
  ASSERT_EQ(p->regions.size(), 2u);
  EXPECT_EQ(p->regions[0].bytes, unit);
  EXPECT_EQ(p->regions[1].bytes, dim - unit);
}

TEST(Sizes, AbsurdChunksSaturateInsteadOfWrapping) {
  // A chunk of 2^60 elements of 8 bytes: with its buffer and bound over 2^64 bytes, which
  // must not wrap around to a small number that fits.
  const Index huge = 1ULL << 60;
  auto p = make_plan({spec("v", {huge}, {huge}, {huge}, model::DType::f8)}, opts(1, 1, UINT64_MAX - 1));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("is too low"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace zpmpi::plan
