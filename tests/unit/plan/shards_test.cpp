// Planning a sharded array: units are whole shards, narrowed only along shard boundaries,
// so every shard lies in exactly one region (one rank); batches stay boxes of chunks
// inside a unit; the regions' bytes are balanced within one shard; max_chunks and the
// small-chunk warning count shard files. Checked against the shard grid recomputed here.
#include <map>
#include <set>

#include "plan_test_util.hpp"
#include "zpmpi/plan/chunk_warnings.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

model::ArrayLayout sharded(std::string name, Shape shape, Shape chunks, Shape source_chunks, Shape shards,
                           model::DType dtype = model::DType::f4) {
  model::ArrayLayout a = spec(std::move(name), std::move(shape), std::move(chunks), std::move(source_chunks), dtype);
  a.shards = std::move(shards);
  return a;
}

/// The shard (grid index) holding each chunk of a batch, by arithmetic on the chunk indices.
std::set<Shape> shards_of_batch(const ArrayPlan& a, const Batch& b) {
  std::set<Shape> out;
  const std::size_t rank = b.chunks.rank();
  Shape pos(rank, 0);
  for (Index n = 0; n < b.chunks.num_elements(); ++n) {
    Shape shard(rank);
    for (std::size_t d = 0; d < rank; ++d)
      shard[d] = (b.chunks.start[d] + pos[d]) * a.layout.chunks[d] / a.layout.shards[d];
    out.insert(shard);
    for (std::size_t d = rank; d-- > 0;) {
      if (++pos[d] < b.chunks.count[d]) break;
      pos[d] = 0;
    }
  }
  return out;
}

/// Every shard of every sharded array is in exactly one region: unit_shards of the
/// region's units cover the shard grid once, and every chunk a region's batches write lies
/// in one of the region's own shards. Returns the region of each shard, per array.
std::vector<std::map<Shape, std::size_t>> expect_shards_owned(const RegionPlan& p) {
  std::vector<std::map<Shape, std::size_t>> owner(p.arrays.size());
  for (std::size_t r = 0; r < p.regions.size(); ++r) {
    const Region& region = p.regions[r];
    const ArrayPlan& a = p.arrays[region.array];
    if (a.layout.shards.empty()) continue;
    for (Index u = region.unit_begin; u < region.unit_end; ++u) {
      const Box box = unit_shards(a, u);
      Shape pos(box.rank(), 0);
      for (Index n = 0; n < box.num_elements(); ++n) {
        Shape shard(box.rank());
        for (std::size_t d = 0; d < box.rank(); ++d) shard[d] = box.start[d] + pos[d];
        EXPECT_TRUE(owner[region.array].emplace(shard, r).second) << "a shard in two units";
        for (std::size_t d = box.rank(); d-- > 0;) {
          if (++pos[d] < box.count[d]) break;
          pos[d] = 0;
        }
      }
    }
    for_each_batch(p, region, [&](const Batch& b) {
      for (const Shape& shard : shards_of_batch(a, b)) {
        const auto it = owner[region.array].find(shard);
        ASSERT_NE(it, owner[region.array].end()) << "a batch writes into a shard its region does not hold";
        EXPECT_EQ(it->second, r);
      }
    });
  }
  for (std::size_t i = 0; i < p.arrays.size(); ++i) {
    const model::ArrayLayout& s = p.arrays[i].layout;
    if (s.shards.empty()) continue;
    Index expected = 1;
    for (std::size_t d = 0; d < s.shape.size(); ++d) expected *= ceil_div(s.shape[d], s.shards[d]);
    EXPECT_EQ(owner[i].size(), expected) << "array " << s.name << ": every shard in a region";
  }
  return owner;
}

TEST(Shards, UnitsAreWholeShardsAlignedToTheSource) {
  // Chunks of 5 steps, source chunks of 10, shards of 20: units of lcm(20, 10) = 20.
  auto p = make_plan({sharded("v", {100, 40}, {5, 40}, {10, 40}, {20, 40})}, opts(1, 1));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].unit, (Shape{20, 40}));
  auto four = make_plan({sharded("v", {100, 40}, {5, 40}, {30, 40}, {20, 40})}, opts(1, 1));
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->arrays[0].unit, (Shape{60, 40}));  // lcm(20, 30): 3 shards per unit
  EXPECT_EQ(unit_shards(four->arrays[0], 0), (Box{{0, 0}, {3, 1}}));
  EXPECT_EQ(unit_shards(four->arrays[0], 1), (Box{{3, 0}, {2, 1}}));  // 5 shards in all
  expect_exact_cover(*four);
  expect_shards_owned(*four);
}

TEST(Shards, NarrowingStopsAtOneShardNotOneChunk) {
  // One unit (a contiguous source's whole dim) of 5 shards of 4 chunks, for 16 jobs: units
  // narrow to single shards and no further, so 5 regions, one shard each.
  model::ArrayLayout a = sharded("v", {100, 40}, {5, 40}, {100, 40}, {20, 40});
  a.source.chunked = false;
  auto p = make_plan({a}, opts(16, 4));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].unit, (Shape{20, 40}));
  EXPECT_EQ(p->regions.size(), 5u);
  expect_well_formed(*p);
  expect_exact_cover(*p);
  expect_shards_owned(*p);
  // Unsharded, the same array narrows to single chunks: 16 regions.
  a.shards.clear();
  auto unsharded = make_plan({a}, opts(16, 4));
  ASSERT_TRUE(unsharded.ok());
  EXPECT_EQ(unsharded->regions.size(), 16u);
}

TEST(Shards, BatchesStayInsideAUnitAndBoundedByMemoryNotTheShard) {
  // Shards of 64 MB (16 chunks of 4 MB), memory for about 3 chunks: batches of chunks.
  auto p = make_plan({sharded("v", {64, 1024, 1024}, {1, 1024, 1024}, {1, 1024, 1024}, {16, 1024, 1024})},
                     opts(3, 3, 30'000'000));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_LE(p->max_batch_footprint, 30'000'000u);
  EXPECT_LT(p->arrays[0].batch_chunks[0], 16u);
  expect_exact_cover(*p);
  expect_shards_owned(*p);
}

// The bench's tiled case: a unit of one 245 MB shard was read as one batch (memory allowed
// it), so nothing overlapped and the run was 25-60 % slower than v2's batches of one source
// chunk. Batches now start from the source-aligned cell; the unit stays the whole shard.
TEST(Shards, MemoryToSpareStillGivesBatchesOfTheSourceAlignedCell) {
  // Chunks of 5 steps, source chunks of 10, shards of 40: 4 cells of 10 per unit.
  auto p = make_plan({sharded("v", {80, 40}, {5, 40}, {10, 40}, {40, 40})}, opts(1, 1));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].unit, (Shape{40, 40}));
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{2, 1}));  // 10 steps: one source chunk
  expect_exact_cover(*p);
  expect_shards_owned(*p);
}

TEST(Shards, RegionsAreBalancedWithinOneShard) {
  // 97 shards (the last one short) over 8 and 13 jobs, in two arrays.
  const std::vector<model::ArrayLayout> arrays = {
      sharded("a", {970, 30}, {2, 30}, {2, 30}, {10, 30}),
      sharded("b", {500, 7}, {5, 7}, {5, 7}, {20, 7}, model::DType::f8)};
  for (int jobs : {8, 13}) {
    auto p = make_plan(arrays, opts(jobs, 4));
    ASSERT_TRUE(p.ok()) << p.error().message;
    expect_well_formed(*p);
    expect_exact_cover(*p);
    expect_shards_owned(*p);
    const std::uint64_t shard = std::max<std::uint64_t>(10 * 30 * 4, 20 * 7 * 8);
    const double share = static_cast<double>(p->total_bytes) / jobs;
    for (std::uint64_t bytes : job_bytes(*p)) EXPECT_LE(std::abs(static_cast<double>(bytes) - share), shard) << jobs;
  }
}

TEST(Shards, EveryShardIsInOneRegionForManyShapes) {
  const Index lengths[] = {1, 7, 24, 50};
  for (Index n0 : lengths)
    for (Index n1 : lengths)
      for (Index c0 : {Index{1}, Index{3}})
        for (Index k0 : {Index{1}, Index{2}, Index{5}})
          for (Index k1 : {Index{1}, Index{4}})
            for (Index source0 : {Index{1}, Index{4}, Index{50}})
              for (int jobs : {1, 3, 16}) {
                const Shape chunks{c0, std::min<Index>(5, n1)};
                model::ArrayLayout a =
                    sharded("v", {n0, n1}, chunks, {source0, chunks[1]}, {k0 * chunks[0], k1 * chunks[1]});
                auto p = make_plan({a, spec("w", {n0}, {c0}, {c0})}, opts(jobs, 2, 4000));
                ASSERT_TRUE(p.ok()) << p.error().message;
                expect_well_formed(*p);
                expect_exact_cover(*p);
                expect_shards_owned(*p);
                if (::testing::Test::HasFailure()) {
                  FAIL() << "shape " << n0 << "x" << n1 << " chunk0 " << c0 << " shards " << k0 << "x" << k1
                         << " source0 " << source0 << " jobs " << jobs;
                }
              }
}

TEST(Shards, MaxChunksCountsShardFiles) {
  // 1000 chunks in 10 shards: 10 files.
  const auto a = sharded("v", {1000, 8}, {1, 8}, {1, 8}, {100, 8});
  PlanOptions o = opts(2, 2);
  o.max_chunks = 10;
  EXPECT_TRUE(make_plan({a}, o).ok());
  o.max_chunks = 9;
  auto p = make_plan({a}, o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message,
            "the plan has 10 files, more than max_chunks 9 (array v: [10, 1] shards of [100, 8]); choose larger "
            "shards, or raise max_chunks if that many files are intended");
}

TEST(Shards, ShardsThatAreNotWholeChunksAreRefused) {
  auto p = make_plan({sharded("v", {100, 40}, {5, 40}, {5, 40}, {12, 40})}, opts(1, 1));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ExitCode::kUsage);
  EXPECT_EQ(p.error().message, "array v: shards [12, 40] must be a positive multiple of chunks [5, 40] along every dim");
  EXPECT_FALSE(make_plan({sharded("v", {100, 40}, {5, 40}, {5, 40}, {20})}, opts(1, 1)).ok());
  EXPECT_FALSE(make_plan({sharded("v", {100, 40}, {5, 40}, {5, 40}, {0, 40})}, opts(1, 1)).ok());
}

TEST(Shards, TheSmallFileWarningCountsShards) {
  // 20000 chunks of 4 kB: one warning unsharded, none in shards of 500 chunks (2 MB),
  // one again for 10001 shards of 2 chunks (8 kB).
  auto unsharded = make_plan({spec("v", {20000, 1000}, {1, 1000}, {1, 1000})}, opts(1, 1));
  ASSERT_TRUE(unsharded.ok());
  EXPECT_EQ(small_chunk_warnings(*unsharded).size(), 1u);
  auto big = make_plan({sharded("v", {20000, 1000}, {1, 1000}, {1, 1000}, {500, 1000})}, opts(1, 1));
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(small_chunk_warnings(*big).empty());
  auto small = make_plan({sharded("v", {20001, 1000}, {1, 1000}, {1, 1000}, {2, 1000})}, opts(1, 1));
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small_chunk_warnings(*small).size(), 1u);
  EXPECT_EQ(small_chunk_warnings(*small)[0],
            "array v: 10001 shard files of 8000 bytes each (uncompressed, shards [2, 1000]); a parallel file system "
            "handles shards of 1 MB or more far better: consider larger shards");
}

}  // namespace
}  // namespace zpmpi::plan
