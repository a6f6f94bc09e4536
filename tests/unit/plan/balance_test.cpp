// Balance: units cut into num_jobs runs of nearly equal bytes, jobs dealt to ranks.
#include <chrono>
#include <set>

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

std::pair<std::uint64_t, std::uint64_t> min_max(const std::vector<std::uint64_t>& v) {
  return {*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}

TEST(Balance, EqualUnitsDifferByAtMostOneUnit) {
  for (int jobs : {1, 2, 3, 7, 10, 99, 100, 999, 1000}) {
    auto p = make_plan({spec("v", {1000, 10, 10}, {1, 10, 10}, {1, 10, 10})}, opts(jobs, 3));
    ASSERT_TRUE(p.ok());
    const auto [lo, hi] = min_max(job_bytes(*p));
    EXPECT_LE(hi - lo, 400u) << jobs;  // one unit: 10 x 10 float32
    EXPECT_EQ(p->total_bytes, 400'000u);
    expect_well_formed(*p);
  }
}

TEST(Balance, EqualUnitsAcrossArraysDifferByAtMostOneUnit) {
  // Three arrays of equal units (one with a different shape): runs cross array boundaries.
  for (int jobs : {2, 4, 5, 13, 64}) {
    auto p = make_plan({spec("a", {30, 8}, {1, 8}, {1, 8}), spec("b", {45, 8}, {1, 8}, {1, 8}),
                        spec("c", {5, 2, 4}, {1, 2, 4}, {1, 2, 4})},
                       opts(jobs, 4));
    ASSERT_TRUE(p.ok());
    const auto [lo, hi] = min_max(job_bytes(*p));
    EXPECT_LE(hi - lo, 32u) << jobs;
    expect_well_formed(*p);
  }
}

TEST(Balance, UnequalUnitsStayWithinOneLargestUnitOfTheMean) {
  // Edge units of different sizes and arrays of different unit sizes.
  for (int jobs : {1, 2, 3, 5, 8, 17, 40}) {
    auto p = make_plan({spec("a", {101, 7}, {10, 7}, {10, 7}), spec("b", {13, 13, 13}, {2, 13, 3}, {2, 13, 13}),
                        spec("c", {1000}, {7}, {7}, model::DType::f8)},
                       opts(jobs, 3));
    ASSERT_TRUE(p.ok());
    const double mean = static_cast<double>(p->total_bytes) / jobs;
    const std::uint64_t largest = max_unit_bytes(*p);
    for (std::uint64_t b : job_bytes(*p)) EXPECT_LE(std::abs(static_cast<double>(b) - mean), largest) << jobs;
    expect_exact_cover(*p);
    expect_well_formed(*p);
  }
}

TEST(Balance, CutsAtTheClosestUnitBoundary) {
  // Units of 3, 1, 1, 3 bytes (u1, chunks of 3 and 1 by lcm with source chunks); total 8.
  // Two jobs: the cut at 4 lies on the boundary after the second unit.
  auto p = make_plan({spec("a", {3}, {3}, {3}, model::DType::u1), spec("b", {2}, {1}, {1}, model::DType::u1),
                      spec("c", {3}, {3}, {3}, model::DType::u1)},
                     opts(2, 2));
  ASSERT_TRUE(p.ok());
  const std::vector<Region> expected{{0, 0, 1, 0, 0, 3}, {1, 0, 1, 0, 0, 1}, {1, 1, 2, 1, 1, 1}, {2, 0, 1, 1, 1, 3}};
  EXPECT_EQ(p->regions, expected);
}

TEST(Balance, TieGoesToTheEarlierBoundary) {
  // Units of 1, 2, 1 bytes; the cut at 2 is the middle of unit 1, as far from 1 as from 3.
  auto p = make_plan({spec("a", {1}, {1}, {1}, model::DType::u1), spec("b", {2}, {2}, {2}, model::DType::u1),
                      spec("c", {1}, {1}, {1}, model::DType::u1)},
                     opts(2, 2));
  ASSERT_TRUE(p.ok());
  const std::vector<Region> expected{{0, 0, 1, 0, 0, 1}, {1, 0, 1, 1, 1, 2}, {2, 0, 1, 1, 1, 1}};
  EXPECT_EQ(p->regions, expected);
}

TEST(Balance, SeveralCutsInOneUnitLeaveAJobIdle) {
  // Units 2, 2 for three jobs: cuts at 4/3 and 8/3 both round to the boundary at 2.
  auto p = make_plan({spec("v", {4}, {2}, {2}, model::DType::u1)}, opts(3, 3));
  ASSERT_TRUE(p.ok());
  const std::vector<Region> expected{{0, 0, 1, 0, 0, 2}, {0, 1, 2, 2, 2, 2}};
  EXPECT_EQ(p->regions, expected);
}

TEST(Balance, JobsWithoutUnitsHaveNoRegions) {
  auto p = make_plan({spec("v", {3}, {1}, {1})}, opts(8, 8));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->regions.size(), 3u);
  std::set<int> jobs;
  for (const auto& r : p->regions) jobs.insert(r.job);
  EXPECT_EQ(jobs.size(), 3u);
  expect_well_formed(*p);
}

TEST(Balance, RunsSplitAtArrayBoundaries) {
  auto p = make_plan({spec("a", {4}, {1}, {1}), spec("b", {4}, {1}, {1})}, opts(3, 2));
  ASSERT_TRUE(p.ok());
  // Cuts at 8/3 and 16/3 units: jobs of 3, 2 (1 of a + 1 of b), 3 units.
  const std::vector<Region> expected{
      {0, 0, 3, 0, 0, 12}, {0, 3, 4, 1, 1, 4}, {1, 0, 1, 1, 1, 4}, {1, 1, 4, 2, 0, 12}};
  EXPECT_EQ(p->regions, expected);
}

TEST(RegionsOfRank, RoundRobinJobs) {
  auto p = make_plan({spec("v", {12}, {1}, {1})}, opts(6, 4));
  ASSERT_TRUE(p.ok());
  const auto mine = regions_of_rank(*p, 1);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].job, 1);
  EXPECT_EQ(mine[1].job, 5);
  EXPECT_TRUE(regions_of_rank(*p, 7).empty());
  std::size_t all = 0;
  for (int r = 0; r < 4; ++r) all += regions_of_rank(*p, r).size();
  EXPECT_EQ(all, p->regions.size());
}

/// The regions cover every byte once, and the plan survives the broadcast format.
void expect_whole_and_broadcastable(const RegionPlan& p) {
  std::uint64_t sum = 0;
  for (const auto& r : p.regions) sum += r.bytes;
  EXPECT_EQ(sum, p.total_bytes);
  auto back = plan_from_json(plan_to_json(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
}

TEST(BigPlan, AMillionChunksOn4096Ranks) {
  // 1000 x 1000 chunks; timings belong to the benchmarks, this proves it completes.
  auto p = make_plan({spec("v", {1000, 1000, 1000}, {1, 1, 1000}, {1, 1, 1000})}, opts(4096, 4096));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(model::num_elements(p->arrays[0].unit_grid), 1'000'000u);
  const auto bytes = job_bytes(*p);
  const auto [lo, hi] = min_max(bytes);
  EXPECT_GT(lo, 0u);
  EXPECT_LE(hi - lo, 4000u);  // one unit
  EXPECT_GE(p->regions.size(), 4096u);
  expect_whole_and_broadcastable(*p);
}

// Issue 10, defect 7: a variable read from a contiguous source is one unit (its source
// "chunk" is the whole variable), and its one-chunk coordinates are one unit each. With
// at least as many units as jobs nothing was narrowed, so one job got the whole variable:
// 10^6 chunk files on one rank, the others idle with a coordinate each.
std::vector<model::ArrayLayout> contiguous_variable_and_coordinates(Index n) {
  return {spec("v", {n, 1000, 1000}, {1, 1, 1000}, {n, 1000, 1000}), spec("time", {n}, {n}, {n}, model::DType::f8),
          spec("lat", {1000}, {1000}, {1000}, model::DType::f8), spec("lon", {1000}, {1000}, {1000}, model::DType::f8)};
}

void expect_every_rank_has_its_share(const RegionPlan& p) {
  const double share = static_cast<double>(p.total_bytes) / p.options.num_jobs;
  std::vector<std::uint64_t> rank_bytes(static_cast<std::size_t>(p.options.num_ranks), 0);
  for (const auto& r : p.regions) rank_bytes.at(static_cast<std::size_t>(r.rank)) += r.bytes;
  const auto [lo, hi] = min_max(job_bytes(p));
  EXPECT_GT(lo, share / 2) << "a job has less than half its share";
  EXPECT_LT(hi, share * 2) << "a job has more than twice its share";
  for (std::size_t r = 0; r < rank_bytes.size(); ++r) EXPECT_GT(rank_bytes[r], 0u) << "rank " << r << " is idle";
}

TEST(Balance, AContiguousVariableIsSharedByEveryRank) {
  for (int ranks : {2, 3, 4}) {
    auto p = make_plan(contiguous_variable_and_coordinates(1000), opts(ranks, ranks));
    ASSERT_TRUE(p.ok()) << p.error().message;
    expect_every_rank_has_its_share(*p);
    expect_well_formed(*p);
  }
}

TEST(BigPlan, AMillionTinyChunksOfOneUnitOn4096Ranks) {
  // The same on paper sizes: 10^6 chunks of 4 kB in one unit, beside an array of 8192
  // one-chunk units that alone would have satisfied a count of units.
  auto specs = contiguous_variable_and_coordinates(1000);
  specs.push_back(spec("time_bnds", {8192, 2}, {1, 2}, {1, 2}, model::DType::f8));
  auto p = make_plan(specs, opts(4096, 4096));
  ASSERT_TRUE(p.ok()) << p.error().message;
  expect_every_rank_has_its_share(*p);
  expect_whole_and_broadcastable(*p);
}

TEST(BigPlan, ManyArraysNarrowedForManyJobs) {
  // 200 one-unit arrays of 64 x 64 chunks for 4096 jobs: narrowing runs thousands of rounds.
  std::vector<model::ArrayLayout> specs;
  for (int i = 0; i < 200; ++i)
    specs.push_back(spec(std::string("v").append(std::to_string(i)), {64, 64 * 8}, {1, 8}, {64, 64 * 8}));
  auto p = make_plan(specs, opts(4096, 512));
  ASSERT_TRUE(p.ok());
  Index units = 0;
  for (const auto& a : p->arrays) units += model::num_elements(a.unit_grid);
  EXPECT_GE(units, 4096u);
  expect_well_formed(*p);
}

}  // namespace
}  // namespace zpmpi::plan
