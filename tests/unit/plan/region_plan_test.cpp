#include "zpmpi/plan/region_plan.hpp"

#include <algorithm>
#include <map>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "zpmpi/model/box.hpp"

namespace zpmpi::plan {
namespace {

ArraySpec spec(std::string name, Shape shape, Shape chunks, Shape source_chunks,
               model::DType dtype = model::DType::f4) {
  ArraySpec s;
  s.name = name;
  s.source_name = std::move(name);
  s.dtype = dtype;
  s.map = transform::IndexMap::identity(shape);
  s.source_var_shape = shape;
  s.source_var_chunks = source_chunks;
  s.shape = std::move(shape);
  s.chunks = std::move(chunks);
  s.source_chunks = std::move(source_chunks);
  s.source_chunked = true;
  return s;
}

PlanOptions opts(int jobs, int ranks, std::uint64_t memory = 2'000'000'000) {
  PlanOptions o;
  o.num_jobs = jobs;
  o.num_ranks = ranks;
  o.memory_limit = memory;
  return o;
}

std::vector<Batch> all_batches(const RegionPlan& p) {
  std::vector<Batch> out;
  for (const auto& r : p.regions) for_each_batch(p, r, [&](const Batch& b) { out.push_back(b); });
  return out;
}

Index ceil_div(Index a, Index b) { return (a + b - 1) / b; }

/// Every output chunk of every array is in exactly one batch; batch element boxes agree with
/// their chunk boxes and stay inside the array.
void expect_exact_cover(const RegionPlan& p) {
  std::map<std::pair<std::uint32_t, std::vector<Index>>, int> seen;
  for (const auto& b : all_batches(p)) {
    const ArraySpec& s = p.arrays[b.array].spec;
    const std::size_t rank = s.shape.size();
    Shape pos(rank);
    for (Index n = 0; n < b.chunks.num_elements(); ++n) {
      Index rem = n;
      for (std::size_t d = rank; d-- > 0;) {
        pos[d] = b.chunks.start[d] + rem % b.chunks.count[d];
        rem /= b.chunks.count[d];
      }
      ++seen[{b.array, pos}];
    }
    for (std::size_t d = 0; d < rank; ++d) {
      EXPECT_EQ(b.elements.start[d], b.chunks.start[d] * s.chunks[d]);
      EXPECT_LE(b.elements.start[d] + b.elements.count[d], s.shape[d]);
      EXPECT_EQ(b.elements.count[d], std::min(b.chunks.count[d] * s.chunks[d], s.shape[d] - b.elements.start[d]));
    }
  }
  std::size_t expected = 0;
  for (const auto& a : p.arrays) {
    Index n = 1;
    for (std::size_t d = 0; d < a.spec.shape.size(); ++d) n *= ceil_div(a.spec.shape[d], a.spec.chunks[d]);
    expected += n;
  }
  EXPECT_EQ(seen.size(), expected);
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << "array " << key.first << " chunk " << model::to_string(key.second);
}

TEST(MakePlan, UnitsAreLcmOfSourceAndOutputChunks) {
  auto p = make_plan({spec("t2m", {100, 60, 90}, {6, 20, 30}, {4, 60, 45})}, opts(1, 1));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].unit, (Shape{12, 60, 90}));
  EXPECT_EQ(p->arrays[0].unit_grid, (Shape{9, 1, 1}));
  expect_exact_cover(*p);
}

TEST(MakePlan, AlignedUnitsHoldWholeSourceChunks) {
  // Output chunks that do not divide source chunks: every unit boundary is on both grids
  // (or at the array's end), so no source chunk is read by two units.
  const Shape shape{97, 37, 72}, chunks{5, 10, 16}, source{7, 10, 16};
  auto p = make_plan({spec("v", shape, chunks, source)}, opts(4, 2));
  ASSERT_TRUE(p.ok());
  for (const auto& r : p->regions) {
    Index first_unit_row = r.unit_begin;  // unit grid is {n, 1, 1}
    const Index start = first_unit_row * p->arrays[0].unit[0];
    EXPECT_EQ(start % 5, 0u);
    EXPECT_EQ(start % 7, 0u);
  }
  expect_exact_cover(*p);
}

TEST(MakePlan, CoverageWithoutOverlapOnEdgeShapes) {
  for (int jobs : {1, 2, 3, 7, 64}) {
    auto p = make_plan({spec("a", {23, 17, 9}, {4, 5, 2}, {3, 17, 9}), spec("b", {5}, {5}, {5}),
                        spec("c", {11, 13}, {11, 1}, {2, 13}, model::DType::i2)},
                       opts(jobs, 3));
    ASSERT_TRUE(p.ok()) << p.error().message;
    expect_exact_cover(*p);
  }
}

TEST(MakePlan, BalancedByBytes) {
  auto p = make_plan({spec("v", {1000, 10, 10}, {1, 10, 10}, {1, 10, 10})}, opts(7, 3));
  ASSERT_TRUE(p.ok());
  std::map<int, std::uint64_t> per_job;
  for (const auto& r : p->regions) {
    per_job[r.job] += r.bytes;
    EXPECT_EQ(r.rank, r.job % 3);
  }
  ASSERT_EQ(per_job.size(), 7u);
  std::uint64_t lo = UINT64_MAX, hi = 0, total = 0;
  for (const auto& [job, bytes] : per_job) {
    lo = std::min(lo, bytes);
    hi = std::max(hi, bytes);
    total += bytes;
  }
  EXPECT_EQ(total, p->total_bytes);
  EXPECT_LE(hi - lo, 400u);  // one unit (10 x 10 float32)
}

TEST(MakePlan, MoreJobsThanUnitsNarrowsUnits) {
  // One source chunk spans the whole array: 1 unit, unless narrowed for 4 jobs.
  auto p = make_plan({spec("v", {48, 40}, {6, 10}, {48, 40})}, opts(4, 4));
  ASSERT_TRUE(p.ok());
  std::set<int> ranks;
  for (const auto& r : p->regions) ranks.insert(r.rank);
  EXPECT_EQ(ranks.size(), 4u);
  expect_exact_cover(*p);
  // One chunk only: nothing to narrow, the other jobs stay idle.
  auto q = make_plan({spec("v", {4, 4}, {4, 4}, {4, 4})}, opts(3, 3));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->regions.size(), 1u);
}

TEST(MakePlan, BatchesFitTheMemoryLimit) {
  const std::uint64_t limit = 3'000'000;
  auto p = make_plan({spec("v", {96, 200, 300}, {4, 50, 50}, {24, 200, 300})}, opts(2, 2, limit));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& a = p->arrays[0];
  EXPECT_LE(a.batch_footprint, limit);
  EXPECT_LE(p->max_batch_footprint, limit);
  // Outermost dims shrink first: a batch keeps whole rows of chunks where it can.
  EXPECT_EQ(a.batch_chunks[2], 6u);
  for (const auto& b : all_batches(*p)) {
    const std::uint64_t chunk = 4 * 50 * 50 * 4;
    EXPECT_LE(b.elements.num_elements() * 4 + chunk + max_encoded_size(chunk), limit);
  }
  expect_exact_cover(*p);
}

TEST(MakePlan, TooLowMemoryLimitNamesTheNumbers) {
  auto p = make_plan({spec("t2m", {100, 721, 1440}, {24, 721, 1440}, {24, 721, 1440})}, opts(1, 1, 100'000'000));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "memory_limit 100MB is too low: one batch of array t2m needs 299.8MB");
  EXPECT_EQ(p.error().code, ExitCode::kUsage);
}

TEST(MakePlan, DeterministicAndRoundTripsThroughJson) {
  auto make = [] {
    auto s = spec("t2m", {30, 37, 72}, {4, 10, 20}, {7, 10, 16});
    s.fill_value = model::Scalar{std::nan("")};
    auto packed = spec("d2m", {30, 37, 72}, {4, 10, 20}, {5, 37, 72}, model::DType::i2);
    packed.fill_value = model::Scalar{std::int64_t{-32767}};
    auto u = spec("flags", {30}, {30}, {30}, model::DType::u8);
    u.fill_value = model::Scalar{std::uint64_t{18446744073709551615ULL}};
    return make_plan({s, packed, u, spec("scalar", {}, {}, {})}, opts(5, 2, 50'000));
  };
  auto a = make(), b = make();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(plan_to_json(*a), plan_to_json(*b));
  auto back = plan_from_json(plan_to_json(*a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(plan_to_json(*back), plan_to_json(*a));
  // NaN != NaN, so compare the rest field by field.
  EXPECT_TRUE(std::isnan(std::get<double>(*back->arrays[0].spec.fill_value)));
  back->arrays[0].spec.fill_value = a->arrays[0].spec.fill_value = std::nullopt;
  EXPECT_EQ(*back, *a);
  EXPECT_FALSE(plan_from_json("{").ok());
  EXPECT_FALSE(plan_from_json(R"({"options": 3})").ok());
}

TEST(MakePlan, RankZeroAndZeroLengthArrays) {
  auto p = make_plan({spec("scalar", {}, {}, {}), spec("empty", {0, 5}, {1, 5}, {1, 5})}, opts(2, 2));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto batches = all_batches(*p);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].array, 0u);
  EXPECT_EQ(batches[0].elements.rank(), 0u);
  EXPECT_EQ(p->total_bytes, 4u);
}

TEST(MakePlan, SixtyFourBitSizesOnPaper) {
  // 3e9 x 2e5 elements: dims beyond 2^31, 2.4 PB, planned without touching memory.
  const Index big = 3'000'000'000ULL;
  auto p = make_plan({spec("v", {big, 200'000}, {1'000'000, 1000}, {1'000'000, 1000})},
                     opts(4096, 4096, 64'000'000'000ULL));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->total_bytes, big * 200'000 * 4);
  std::uint64_t sum = 0;
  for (const auto& r : p->regions) sum += r.bytes;
  EXPECT_EQ(sum, p->total_bytes);
  EXPECT_GE(p->arrays[0].batch_chunks[0], 1u);
}

TEST(MakePlan, AMillionChunksOn4096Ranks) {
  // 1000 x 1000 chunks; timing belongs to the benchmarks, this proves it completes.
  auto p = make_plan({spec("v", {1000, 1000, 1000}, {1, 1, 1000}, {1, 1, 1000})}, opts(4096, 4096));
  ASSERT_TRUE(p.ok());
  EXPECT_GE(p->regions.size(), 4096u);
  std::set<int> jobs;
  for (const auto& r : p->regions) jobs.insert(r.job);
  EXPECT_EQ(jobs.size(), 4096u);
}

TEST(MakePlan, InvalidInputs) {
  EXPECT_FALSE(make_plan({spec("v", {4}, {0}, {4})}, opts(1, 1)).ok());
  EXPECT_FALSE(make_plan({spec("v", {4}, {2, 2}, {4})}, opts(1, 1)).ok());
  EXPECT_FALSE(make_plan({spec("v", {4}, {2}, {4})}, opts(0, 1)).ok());
  EXPECT_FALSE(make_plan({spec("v", {4}, {2}, {4})}, opts(1, 0)).ok());
}

TEST(RegionsOfRank, RoundRobinJobs) {
  auto p = make_plan({spec("v", {12}, {1}, {1})}, opts(6, 4));
  ASSERT_TRUE(p.ok());
  for (const auto& r : regions_of_rank(*p, 1)) EXPECT_TRUE(r.job == 1 || r.job == 5);
  EXPECT_EQ(regions_of_rank(*p, 1).size(), 2u);
}

}  // namespace
}  // namespace zpmpi::plan
