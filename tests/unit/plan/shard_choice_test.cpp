// choose_shards: the sizes a job gives, "auto" on ERA5-like shapes, and every small shape,
// chunk, alignment and target against a brute-force search of the rule in the header.
#include "zpmpi/plan/shard_choice.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using testing::spec;

/// t2m (time, latitude, longitude) with the given shape, chunks and source chunks.
model::ArrayLayout t2m(Shape shape, Shape chunks, Shape source_chunks, model::DType dtype = model::DType::f4) {
  model::ArrayLayout a = spec("t2m", std::move(shape), std::move(chunks), std::move(source_chunks), dtype);
  a.dims = {"time", "latitude", "longitude"};
  return a;
}

ShardRequest all_auto() {
  ShardRequest r;
  r.all_auto = true;
  return r;
}

TEST(ChooseShards, AutoTakesTheMostWholeChunksWithinOneGibibyte) {
  // The header's example: chunks of a day, 99.7 MB; ten of them are 997 MB.
  auto shards = choose_shards(t2m({8760, 721, 1440}, {24, 721, 1440}, {24, 721, 1440}), all_auto(), false);
  ASSERT_TRUE(shards.ok()) << shards.error().message;
  EXPECT_EQ(*shards, (Shape{240, 721, 1440}));
}

TEST(ChooseShards, AutoTakesWholeBlocksOfSourceChunks) {
  // Output chunks of a day inside source chunks of 31 days (744 h): 253 chunks fit in
  // 1 GiB (176.4 kB per step), 248 = 8 blocks of 31 are taken, so no source chunk is split.
  auto shards = choose_shards(t2m({8760, 210, 210}, {24, 210, 210}, {744, 210, 210}), all_auto(), false);
  ASSERT_TRUE(shards.ok());
  EXPECT_EQ(*shards, (Shape{8 * 744, 210, 210}));
}

TEST(ChooseShards, AutoTakesOneBlockOfSourceChunksEvenAboveTheTarget) {
  // One block (744 steps of 4.15 MB, 3.1 GB) is more than 1 GiB: the shard is that block.
  auto chunked = choose_shards(t2m({8760, 721, 1440}, {1, 721, 1440}, {744, 721, 1440}), all_auto(), false);
  ASSERT_TRUE(chunked.ok());
  EXPECT_EQ(*chunked, (Shape{744, 721, 1440}));
  // A contiguous source reads any part at the same cost: its "chunks" are no block.
  model::ArrayLayout contiguous = t2m({8760, 721, 1440}, {1, 721, 1440}, {8760, 721, 1440});
  contiguous.source.chunked = false;
  auto plain = choose_shards(contiguous, all_auto(), false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, (Shape{258, 721, 1440}));  // floor(2^30 / 4152960) = 258
}

TEST(ChooseShards, AutoMovesInwardOnlyPastDimsItTakesWhole) {
  // float64 (4, 1000, 1000) in chunks (1, 100, 100), a target of 9.6 MB: time and latitude
  // whole (3.2 MB), then 3 chunks of longitude (9.6 MB).
  model::ArrayLayout a = t2m({4, 1000, 1000}, {1, 100, 100}, {1, 100, 100}, model::DType::f8);
  auto shards = choose_shards(a, all_auto(), false, 4 * 1000 * 300 * 8);
  ASSERT_TRUE(shards.ok());
  EXPECT_EQ(*shards, (Shape{4, 1000, 300}));
  // Time not whole: the dims further in keep one chunk.
  a.shape = {100000, 1000, 1000};
  a.source.shape = a.shape;
  a.map = model::IndexMap::identity(a.shape);
  shards = choose_shards(a, all_auto(), false, 4 * 1000 * 300 * 8);
  ASSERT_TRUE(shards.ok());
  EXPECT_EQ(*shards, (Shape{120, 100, 100}));  // 9.6 MB / 80 kB per step
}

TEST(ChooseShards, AShardPassesTheDimAtTheEdgeLikeAChunk) {
  // time 30 in chunks of 24: the whole dim is 2 chunks, a shard of 48.
  auto shards = choose_shards(t2m({30, 10, 20}, {24, 10, 20}, {24, 10, 20}), all_auto(), false);
  ASSERT_TRUE(shards.ok());
  EXPECT_EQ(*shards, (Shape{48, 10, 20}));
}

TEST(ChooseShards, GivenSizesAreKeptDimsNotNamedHaveOneChunkAndAutoMixes) {
  const model::ArrayLayout a = t2m({8760, 721, 1440}, {24, 145, 288}, {24, 145, 288});
  ShardRequest r;
  r.sizes = {{"time", 240}};
  auto given = choose_shards(a, r, false);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(*given, (Shape{240, 145, 288}));

  r.sizes = {{"time", 48}, {"longitude", std::nullopt}};  // longitude "auto": whole (48 x 145 x 1440 x 4 B)
  auto mixed = choose_shards(a, r, false);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(*mixed, (Shape{48, 145, 1440}));

  r.sizes = {{"time", 24 * 1000}};  // more chunks than the dim has (365): the whole dim
  auto capped = choose_shards(a, r, false);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(*capped, (Shape{8760, 145, 288}));

  r.sizes = {{"depth", 10}};  // not a dim of this array: nothing to shard along
  auto other = choose_shards(a, r, false);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, (Shape{24, 145, 288}));
}

TEST(ChooseShards, ASizeThatIsNotAMultipleOfTheChunkNamesTheKeyTheSizeAndTheChunk) {
  ShardRequest r;
  r.sizes = {{"time", 100}};
  auto shards = choose_shards(t2m({8760, 721, 1440}, {24, 721, 1440}, {24, 721, 1440}), r, false);
  ASSERT_FALSE(shards.ok());
  EXPECT_EQ(shards.error().code, ExitCode::kUsage);
  EXPECT_EQ(shards.error().message, "shards.time: 100 is not a multiple of the chunk 24 of array t2m along time");
}

TEST(ChooseShards, AWholeArrayIsOneChunkPerShardWhateverIsAsked) {
  model::ArrayLayout time = spec("time", {8760}, {8760}, {8760});
  time.dims = {"time"};
  ShardRequest r;
  r.sizes = {{"time", 100}};  // not a multiple of 8760, but not asked of a dimension coordinate
  auto shards = choose_shards(time, r, true);
  ASSERT_TRUE(shards.ok());
  EXPECT_EQ(*shards, (Shape{8760}));
  EXPECT_EQ(*choose_shards(time, all_auto(), true), (Shape{8760}));
}

// ---- every small case against a brute-force search ----

/// The rule of the header, by enumeration: per "auto" dim, in order, the candidates are
/// the whole dim and every multiple of the aligned step below it.
Shape brute_force(const model::ArrayLayout& a, const std::vector<int>& mode, std::uint64_t target) {
  const std::size_t rank = a.shape.size();
  Shape k(rank, 1), n(rank);
  for (std::size_t d = 0; d < rank; ++d) n[d] = std::max<Index>(testing::ceil_div(a.shape[d], a.chunks[d]), 1);
  for (std::size_t d = 0; d < rank; ++d)
    if (mode[d] > 0) k[d] = std::min<Index>(mode[d], n[d]);
  auto bytes = [&](const Shape& per) {
    std::uint64_t b = model::dtype_size(a.dtype);
    for (std::size_t d = 0; d < rank; ++d) b *= std::min(per[d] * a.chunks[d], std::max<Index>(a.shape[d], 1));
    return b;
  };
  for (std::size_t d = 0; d < rank; ++d) {
    if (mode[d] != -1) continue;
    const Index step = a.source.chunked ? std::min(std::lcm(a.chunks[d], a.alignment[d]) / a.chunks[d], n[d]) : 1;
    Shape per = k;
    per[d] = n[d];
    if (bytes(per) <= target) {
      k[d] = n[d];
      continue;
    }
    Index best = step;  // at least one step
    for (Index c = step; c < n[d]; c += step) {
      per[d] = c;
      if (bytes(per) <= target) best = c;
    }
    k[d] = best;
    break;
  }
  Shape shards(rank);
  for (std::size_t d = 0; d < rank; ++d) shards[d] = k[d] * a.chunks[d];
  return shards;
}

TEST(ChooseShards, EverySmallCaseFollowsTheRule) {
  const Index lengths[] = {1, 2, 5, 7, 12};
  const Index alignments[] = {1, 2, 3, 12};
  const std::uint64_t targets[] = {1, 6, 20, 70, 200};
  // Per dim: -1 "auto", 0 not named, 1 or 2 chunks given.
  const int modes[] = {-1, 0, 1, 2};
  std::uint64_t cases = 0;
  for (Index s0 : lengths)
    for (Index s1 : lengths)
      for (Index c0 = 1; c0 <= s0; c0 += 2)
        for (Index c1 = 1; c1 <= s1; c1 += 3)
          for (Index a0 : alignments)
            for (Index a1 : alignments)
              for (bool chunked : {true, false}) {
                model::ArrayLayout a = spec("v", {s0, s1}, {c0, c1}, {a0, a1}, model::DType::u1);
                a.dims = {"x", "y"};
                a.source.chunked = chunked;
                for (int m0 : modes)
                  for (int m1 : modes)
                    for (std::uint64_t target : targets) {
                      ShardRequest r;
                      const int mode[] = {m0, m1};
                      for (std::size_t d = 0; d < 2; ++d) {
                        if (mode[d] == -1) r.sizes[a.dims[d]] = std::nullopt;
                        if (mode[d] > 0) r.sizes[a.dims[d]] = static_cast<std::uint64_t>(mode[d]) * a.chunks[d];
                      }
                      auto shards = choose_shards(a, r, false, target);
                      ASSERT_TRUE(shards.ok()) << shards.error().message;
                      ASSERT_EQ(*shards, brute_force(a, {m0, m1}, target))
                          << "shape " << s0 << "x" << s1 << " chunks " << c0 << "x" << c1 << " alignment " << a0
                          << "x" << a1 << (chunked ? " chunked" : " contiguous") << " modes " << m0 << "," << m1
                          << " target " << target;
                      for (std::size_t d = 0; d < 2; ++d) ASSERT_EQ((*shards)[d] % a.chunks[d], 0u);
                      ++cases;
                    }
              }
  EXPECT_GT(cases, 10000u);
}

}  // namespace
}  // namespace zpmpi::plan
