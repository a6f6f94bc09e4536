// Exact cover and alignment: every output chunk is written by exactly one batch, batches
// start on chunk boundaries and stay inside one unit, over many shapes and job counts.
#include <random>

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

TEST(Cover, EdgeShapesAndManyJobCounts) {
  for (int jobs : {1, 2, 3, 7, 64, 1000}) {
    auto p = make_plan({spec("a", {23, 17, 9}, {4, 5, 2}, {3, 17, 9}), spec("b", {5}, {5}, {5}),
                        spec("c", {11, 13}, {11, 1}, {2, 13}, model::DType::i2)},
                       opts(jobs, 3));
    ASSERT_TRUE(p.ok()) << p.error().message;
    expect_exact_cover(*p);
    expect_well_formed(*p);
  }
}

TEST(Cover, BatchesOfARegionInCOrderOfUnitsThenBatches) {
  // Units of 4 x 4 chunks in a 2 x 2 grid, batches of 2 x 4 chunks.
  const std::uint64_t chunk = 4;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  auto p = make_plan({spec("v", {8, 8}, {1, 1}, {4, 4})}, opts(1, 1, fixed + 2 * 4 * 4));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->arrays[0].batch_chunks, (Shape{2, 4}));
  std::vector<model::Box> seen;
  for_each_batch(*p, p->regions.at(0), [&](const Batch& b) { seen.push_back(b.chunks); });
  const std::vector<model::Box> expected{
      {{0, 0}, {2, 4}}, {{2, 0}, {2, 4}}, {{0, 4}, {2, 4}}, {{2, 4}, {2, 4}},
      {{4, 0}, {2, 4}}, {{6, 0}, {2, 4}}, {{4, 4}, {2, 4}}, {{6, 4}, {2, 4}}};
  EXPECT_EQ(seen, expected);
}

TEST(Cover, BatchesClipAtTheUnitEdge) {
  // 5 chunks per unit in batches of 2: 2 + 2 + 1, never reaching into the next unit.
  const std::uint64_t chunk = 4;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  auto p = make_plan({spec("v", {20}, {1}, {5})}, opts(1, 1, fixed + 2 * 4));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->arrays[0].batch_chunks, (Shape{2}));
  std::vector<Index> counts;
  for_each_batch(*p, p->regions.at(0), [&](const Batch& b) { counts.push_back(b.chunks.count[0]); });
  EXPECT_EQ(counts, (std::vector<Index>{2, 2, 1, 2, 2, 1, 2, 2, 1, 2, 2, 1}));
  expect_exact_cover(*p);
}

/// Random small problems: whatever the plan, it covers exactly, stays aligned, keeps every
/// batch within memory_limit with a maximal batch, and is balanced.
TEST(Cover, RandomizedProperties) {
  std::mt19937_64 rng(20240601);
  auto pick = [&](Index lo, Index hi) { return std::uniform_int_distribution<Index>(lo, hi)(rng); };
  const model::DType dtypes[] = {model::DType::u1, model::DType::i2, model::DType::f4, model::DType::f8};
  int planned = 0, too_low = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<model::ArrayLayout> specs;
    const Index n_arrays = pick(1, 3);
    for (Index i = 0; i < n_arrays; ++i) {
      const Index rank = pick(0, 3);
      Shape shape, chunks, source;
      for (Index d = 0; d < rank; ++d) {
        shape.push_back(pick(0, 6) == 0 ? 0 : pick(1, 40));
        const Index cap = std::max<Index>(shape.back(), 1);
        chunks.push_back(pick(1, cap));
        source.push_back(pick(1, cap));
      }
      model::ArrayLayout s = spec(std::string("a").append(std::to_string(i)), shape, chunks, source, dtypes[pick(0, 3)]);
      if (rank > 0 && shape[0] > 0 && pick(0, 3) == 0) s = reversed_spec(s.name, shape, chunks, source);
      specs.push_back(s);
    }
    const int jobs = static_cast<int>(pick(1, 40)), ranks = static_cast<int>(pick(1, 9));
    const int workers = static_cast<int>(pick(1, 3));
    const std::uint64_t limit = pick(0, 1) ? pick(100, 20'000) : pick(20'000, 2'000'000);
    auto p = make_plan(specs, opts(jobs, ranks, limit, workers));
    if (!p.ok()) {
      ++too_low;
      ASSERT_EQ(p.error().code, ExitCode::kUsage) << p.error().message;
      ASSERT_NE(p.error().message.find("is too low"), std::string::npos) << p.error().message;
      // Some non-empty array indeed cannot hold one chunk.
      bool some = false;
      for (const auto& s : specs)
        if (model::num_elements(s.shape) > 0 && interior_footprint(s, Shape(s.shape.size(), 1), workers) > limit)
          some = true;
      ASSERT_TRUE(some) << p.error().message;
      continue;
    }
    ++planned;
    SCOPED_TRACE("trial " + std::to_string(trial));
    expect_exact_cover(*p);
    expect_well_formed(*p);
    ASSERT_LE(p->max_batch_footprint, limit);

    Index total_units = 0;
    for (const ArrayPlan& a : p->arrays) total_units += model::num_elements(a.unit_grid);
    for (const ArrayPlan& a : p->arrays) {
      const model::ArrayLayout& s = a.layout;
      const std::size_t rank = s.shape.size();
      Shape per_unit(rank);
      bool one_chunk_units = true;
      for (std::size_t d = 0; d < rank; ++d) {
        const Index dim = std::max<Index>(s.shape[d], 1);
        // A unit is whole output chunks: a multiple of the chunk or the whole dim.
        ASSERT_TRUE(a.unit[d] % s.chunks[d] == 0 || a.unit[d] == dim);
        ASSERT_LE(a.unit[d], dim);
        per_unit[d] = ceil_div(a.unit[d], s.chunks[d]);
        one_chunk_units = one_chunk_units && per_unit[d] == 1;
        ASSERT_GE(a.batch_chunks[d], 1u);
        ASSERT_LE(a.batch_chunks[d], per_unit[d]);
      }
      if (total_units < static_cast<Index>(jobs) && model::num_elements(s.shape) > 0) {
        ASSERT_TRUE(one_chunk_units) << "fewer units than jobs, yet not narrowed";
      }
      if (model::num_elements(s.shape) == 0) continue;
      for (const auto& b : all_batches(*p)) {
        if (p->arrays[b.array].layout.name == s.name) {
          ASSERT_LE(footprint_of(s, b, workers), a.batch_footprint);
        }
      }
      // Maximal, outermost first: the last dim below a whole unit is the one that shrank
      // to fit; the dims before it are 1 (one chunk along them was already too much), the
      // dims after it whole, and one more chunk along it would not fit.
      std::size_t shrunk = rank;
      for (std::size_t d = 0; d < rank; ++d)
        if (a.batch_chunks[d] < per_unit[d]) shrunk = d;
      if (shrunk < rank) {
        for (std::size_t d = 0; d < shrunk; ++d) ASSERT_EQ(a.batch_chunks[d], 1u);
        Shape bigger = a.batch_chunks;
        ++bigger[shrunk];
        ASSERT_GT(interior_footprint(s, bigger, workers), limit);
      }
    }
    // Balance: every job within one largest unit of the mean, and never worse than that
    // between two jobs by more than two units.
    const auto bytes = job_bytes(*p);
    const std::uint64_t largest = max_unit_bytes(*p);
    const double mean = static_cast<double>(p->total_bytes) / jobs;
    for (std::uint64_t b : bytes) ASSERT_LE(std::abs(static_cast<double>(b) - mean), largest + 1e-9);
  }
  EXPECT_GT(planned, 2500);
  EXPECT_GT(too_low, 100);
}

}  // namespace
}  // namespace zpmpi::plan
