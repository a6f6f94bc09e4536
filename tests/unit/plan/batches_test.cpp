// Batches: the memory bound, outermost dims shrinking first, the too-low error.
#include "plan_test_util.hpp"
#include "zpmpi/model/bytes.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

TEST(Batches, ACodecWithALargerBoundChangesThePlan) {
  // The planner counts each worker's encoded-chunk buffer with the codec's own bound.
  const auto layout = spec("v", {96, 200, 300}, {4, 50, 50}, {24, 200, 300});
  const std::uint64_t chunk = 4 * 50 * 50 * 4;
  PlanOptions wide = opts(2, 2, 3'000'000);
  wide.bounds.encoded_size = [](std::uint64_t n) { return 3 * n; };
  auto usual = make_plan({layout}, opts(2, 2, 3'000'000));
  auto larger = make_plan({layout}, wide);
  ASSERT_TRUE(usual.ok() && larger.ok());
  EXPECT_EQ(larger->arrays[0].batch_footprint,
            interior_footprint(larger->arrays[0].layout, larger->arrays[0].batch_chunks, 1) - max_encoded_size(chunk) +
                3 * chunk);
  EXPECT_LT(model::num_elements(larger->arrays[0].batch_chunks), model::num_elements(usual->arrays[0].batch_chunks));
  EXPECT_NE(*larger, *usual);
}

TEST(Batches, ASourceWithMoreDecodeBuffersChangesThePlan) {
  auto compressed = spec("v", {96, 200, 300}, {4, 50, 50}, {24, 200, 300});
  compressed.source.chunked = compressed.source.compressed = true;
  PlanOptions more = opts(2, 2, 500'000'000);
  more.bounds.decode_chunk_buffers = 8;
  auto usual = make_plan({compressed}, opts(2, 2, 500'000'000));
  auto larger = make_plan({compressed}, more);
  ASSERT_TRUE(usual.ok() && larger.ok());
  const std::uint64_t source_chunk = 24ull * 200 * 300 * 4;
  EXPECT_EQ(larger->arrays[0].batch_footprint - usual->arrays[0].batch_footprint, 4 * source_chunk);
}

TEST(Batches, AMissingBoundIsRefused) {
  PlanOptions none = opts(1, 1);
  none.bounds = {};
  auto p = make_plan({spec("v", {4}, {2}, {4})}, none);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("bounds are not set"), std::string::npos);
}

TEST(Batches, WholeUnitWhenItFits) {
  auto p = make_plan({spec("v", {96, 200, 300}, {4, 50, 50}, {24, 200, 300})}, opts(2, 2));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{6, 4, 6}));
  EXPECT_EQ(p->arrays[0].batch_footprint, interior_footprint(p->arrays[0].layout, {6, 4, 6}, 1));
}

TEST(Batches, FitTheMemoryLimitShrinkingOutermostFirst) {
  const std::uint64_t limit = 3'000'000;
  auto p = make_plan({spec("v", {96, 200, 300}, {4, 50, 50}, {24, 200, 300})}, opts(2, 2, limit));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& a = p->arrays[0];
  // A layer of 4 x 200 x 300 floats is 960kB beside 81kB of chunk buffers: 3 layers fit,
  // 4 do not, and the inner dims stay whole.
  EXPECT_EQ(a.batch_chunks, (Shape{3, 4, 6}));
  EXPECT_LE(a.batch_footprint, limit);
  EXPECT_GT(interior_footprint(a.layout, {4, 4, 6}, 1), limit);
  EXPECT_LE(p->max_batch_footprint, limit);
  for (const auto& b : all_batches(*p)) EXPECT_LE(footprint_of(a.layout, b, 1), a.batch_footprint);
  expect_exact_cover(*p);
}

TEST(Batches, LargestCountIsComputedDirectly) {
  // 1000 chunks along dim 0 in one unit; the largest count that fits is 123 exactly.
  const std::uint64_t chunk = 1000 * 4;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  auto p = make_plan({spec("v", {1000, 1000}, {1, 1000}, {1000, 1000})}, opts(1, 1, fixed + 123 * chunk + 5));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{123, 1}));
  EXPECT_EQ(p->arrays[0].batch_footprint, fixed + 123 * chunk);
}

TEST(Batches, PartialChunkAtTheDimEndIsCountedClipped) {
  // Dim 0 is 10 elements in chunks of 4 (4 + 4 + 2): the clipped extent decides the fit.
  const std::uint64_t chunk = 4 * 4;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  auto p = make_plan({spec("v", {10}, {4}, {10})}, opts(1, 1, fixed + 10 * 4));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{3}));
  auto q = make_plan({spec("v", {10}, {4}, {10})}, opts(1, 1, fixed + 10 * 4 - 1));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->arrays[0].batch_chunks, (Shape{2}));
}

TEST(Batches, InnerDimsShrinkWhenOneOuterChunkIsTooMuch) {
  const std::uint64_t chunk = 2 * 10 * 10 * 4;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  // One chunk along dim 0 with all 50 x 50 chunks inside (2 x 500 x 500 floats, 2MB) is
  // too much; 2 x 10 x 500 floats (40kB) per row of dim 1: 7 rows fit.
  auto p = make_plan({spec("v", {8, 500, 500}, {2, 10, 10}, {8, 500, 500})}, opts(1, 1, fixed + 7 * 40'000 + 1));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{1, 7, 50}));
  expect_exact_cover(*p);
}

TEST(Batches, StagedReadsCountTheHyperslabTwice) {
  const std::uint64_t chunk = 10 * 4;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  const std::uint64_t limit = fixed + 100 * 4;
  auto straight = make_plan({spec("v", {100}, {10}, {100})}, opts(1, 1, limit));
  auto staged = make_plan({reversed_spec("v", {100}, {10}, {100})}, opts(1, 1, limit));
  ASSERT_TRUE(straight.ok() && staged.ok());
  EXPECT_EQ(straight->arrays[0].batch_chunks, (Shape{10}));
  EXPECT_EQ(staged->arrays[0].batch_chunks, (Shape{5}));
  EXPECT_EQ(staged->arrays[0].batch_footprint, fixed + 2 * 50 * 4);
}

TEST(Batches, EveryWorkerHoldsAChunkAndItsEncoding) {
  const std::uint64_t chunk = 10 * 4;
  const std::uint64_t per_worker = chunk + max_encoded_size(chunk);
  auto p = make_plan({spec("v", {100}, {10}, {100})}, opts(1, 1, 4 * per_worker + 30 * 4, 4));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{3}));
  EXPECT_EQ(p->arrays[0].batch_footprint, 4 * per_worker + 30 * 4);
}

TEST(Batches, TooLowMemoryLimitNamesTheNumbers) {
  auto p = make_plan({spec("t2m", {100, 721, 1440}, {24, 721, 1440}, {24, 721, 1440})}, opts(1, 1, 100'000'000));
  ASSERT_FALSE(p.ok());
  // One chunk: 99.7MB hyperslab + 99.7MB buffer + its 100.5MB bound.
  const std::uint64_t chunk = 24ULL * 721 * 1440 * 4;
  EXPECT_EQ(p.error().message, "memory_limit 100MB is too low: one batch of array t2m needs " +
                                   model::format_bytes(2 * chunk + max_encoded_size(chunk)));
  EXPECT_EQ(p.error().message, "memory_limit 100MB is too low: one batch of array t2m needs 299.8MB");
  EXPECT_EQ(p.error().code, ExitCode::kUsage);
}

TEST(Batches, TooLowForOneTileNamesItsSourceFootprint) {
  // ERA5-like t2m(48, 721, 1440) in zlib chunks of a whole day, tiles (24, 200, 400): one
  // tile is 7.68MB, but reading it decodes a 99.7MB source chunk (4 buffers of it).
  auto s = spec("t2m", {32, 24, 200, 400}, {1, 24, 200, 400}, {24, 721, 1440});
  s.map = model::IndexMap::identity({48, 721, 1440});
  s.map.tile = model::TileStage{{2, 4, 4}, {0, 1, 2}, {24, 200, 400}};
  s.source.shape = {48, 721, 1440};
  s.source.compressed = true;
  s.alignment = {16, 24, 200, 400};
  auto p = make_plan({s}, opts(1, 1, 100'000'000));
  ASSERT_FALSE(p.ok());
  const std::uint64_t tile = 24ULL * 200 * 400 * 4, chunk = 24ULL * 721 * 1440 * 4;
  EXPECT_EQ(p.error().message, "memory_limit 100MB is too low: one tile of array t2m needs " +
                                   model::format_bytes_up(2 * tile + tile + max_encoded_size(tile) + 4 * chunk) +
                                   " (the tile of 7.7MB twice, 398.7MB for the source chunks being decoded, and the "
                                   "output chunk buffers)");
  auto fits = make_plan({s}, opts(1, 1, 500'000'000));
  ASSERT_TRUE(fits.ok()) << fits.error().message;
  // (500MB - 398.7MB decoding - 15.4MB chunk buffers) / (2 x 7.68MB): 5 of the 16 tiles of a day.
  EXPECT_EQ(fits->arrays[0].batch_chunks[0], 5u);
}

TEST(Batches, TooLowForTheSecondArray) {
  auto p = make_plan({spec("small", {10}, {10}, {10}), spec("big", {1000}, {1000}, {1000}, model::DType::f8)},
                     opts(1, 1, 2000));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "memory_limit 2kB is too low: one batch of array big needs 25.1kB");
}

TEST(Batches, RankZeroFootprint) {
  auto p = make_plan({spec("s", {}, {}, {}, model::DType::i2)}, opts(1, 1, 2 + 2 + max_encoded_size(2)));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].batch_footprint, 2 + 2 + max_encoded_size(2));
  EXPECT_FALSE(make_plan({spec("s", {}, {}, {}, model::DType::i2)}, opts(1, 1, 1000)).ok());
}

TEST(Batches, FootprintOfEveryBatchIsWithinTheLimit) {
  // Many limits over one array with edge chunks: the bound holds for every real batch.
  const auto s = spec("v", {37, 29, 23}, {4, 5, 3}, {8, 10, 23}, model::DType::i2);
  const std::uint64_t chunk = 4 * 5 * 3 * 2;
  const std::uint64_t fixed = chunk + max_encoded_size(chunk);
  for (std::uint64_t extra = chunk; extra < 8 * 10 * 23 * 2 + 100; extra += 97) {
    auto p = make_plan({s}, opts(3, 2, fixed + extra));
    ASSERT_TRUE(p.ok()) << extra;
    for (const auto& b : all_batches(*p)) ASSERT_LE(footprint_of(s, b, 1), fixed + extra);
    expect_exact_cover(*p);
  }
  EXPECT_FALSE(make_plan({s}, opts(3, 2, fixed + chunk - 1)).ok());
}

TEST(SizeBatches, CompressedSourcesCountTheDecoderBuffers) {
  auto plain = spec("v", {48, 100, 100}, {24, 100, 100}, {24, 100, 100});
  auto zipped = plain;
  zipped.source.compressed = true;
  auto a = make_plan({plain}, opts(1, 1));
  auto b = make_plan({zipped}, opts(1, 1));
  ASSERT_TRUE(a.ok() && b.ok());
  // HDF5's decode buffers: four source chunks of 24 x 100 x 100 float32.
  EXPECT_EQ(b->max_batch_footprint - a->max_batch_footprint, 4u * 24 * 100 * 100 * 4);
  EXPECT_FALSE(make_plan({zipped}, opts(1, 1, a->max_batch_footprint)).ok());
}

TEST(SizeBatches, DecodingOnWorkersCountsTheBuffersOfEveryWorker) {
  auto zipped = spec("v", {48, 100, 100}, {24, 100, 100}, {24, 100, 100});
  zipped.source.compressed = true;
  auto on_workers = zipped;
  on_workers.source.decoded_on_workers = true;
  PlanOptions three = opts(1, 1);
  three.workers = 3;
  auto a = make_plan({zipped}, three);
  auto b = make_plan({on_workers}, three);
  ASSERT_TRUE(a.ok() && b.ok());
  // One decoder (HDF5's, on the reading thread) against one per worker; and three batches
  // in flight, each with the stored bytes of the two source chunks a box of 24 steps may
  // straddle, two more with a hyperslab of one chunk.
  const std::uint64_t chunk = 24 * 100 * 100 * 4, ahead = 2 * max_encoded_size(chunk);
  EXPECT_EQ(a->arrays[0].batches_in_flight, 1);
  EXPECT_EQ(b->arrays[0].batches_in_flight, 3);
  EXPECT_EQ(b->arrays[0].fetched_ahead, ahead);
  EXPECT_EQ(b->max_batch_footprint - a->max_batch_footprint, 2u * 4 * chunk + 3 * ahead + 2 * chunk);
}

TEST(SizeBatches, BatchesInFlightAsManyAsWorkersAndMemoryAllow) {
  // ERA5-like: one 100MB chunk per unit, decoded by zpmpi on the workers.
  auto s = spec("t2m", {240, 721, 1440}, {24, 721, 1440}, {24, 721, 1440});
  s.source.compressed = true;
  s.source.decoded_on_workers = true;
  const std::uint64_t chunk = 24ull * 721 * 1440 * 4, ahead = 2 * max_encoded_size(chunk);
  const std::uint64_t slot = chunk + ahead;
  auto one = make_plan({s}, opts(1, 1, 2'000'000'000, 1));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->arrays[0].batches_in_flight, 1);  // one worker: nothing to overlap
  auto two = make_plan({s}, opts(1, 1, 2'000'000'000, 2));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->arrays[0].batch_chunks, (Shape{1, 1, 1}));
  EXPECT_EQ(two->arrays[0].batches_in_flight, 2);
  // One batch: its hyperslab, and per worker 4 source chunks to decode, one output chunk
  // and its encoding.
  const auto one_batch = [&](std::uint64_t workers) {
    return chunk + workers * (4 * chunk + chunk + max_encoded_size(chunk));
  };
  const std::uint64_t single = one_batch(2);
  EXPECT_EQ(two->arrays[0].batch_footprint, single + ahead + slot);
  EXPECT_EQ(two->arrays[0].fetched_ahead, ahead);
  EXPECT_LE(two->max_batch_footprint, 2'000'000'000u);
  // Memory for one batch only: one in flight, the plan as before.
  auto tight = make_plan({s}, opts(1, 1, single + ahead + slot - 1, 2));
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ(tight->arrays[0].batches_in_flight, 1);
  EXPECT_EQ(tight->arrays[0].batch_footprint, single);
  EXPECT_EQ(tight->arrays[0].fetched_ahead, 0u);
  // More workers than memory for their batches: as many as fit.
  auto four = make_plan({s}, opts(1, 1, one_batch(4) + ahead + 2 * slot, 4));
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->arrays[0].batches_in_flight, 3);
  // netCDF-C decodes it (on the reading thread): nothing is fetched ahead.
  auto library = s;
  library.source.decoded_on_workers = false;
  auto lib = make_plan({library}, opts(1, 1, 2'000'000'000, 2));
  ASSERT_TRUE(lib.ok());
  EXPECT_EQ(lib->arrays[0].batches_in_flight, 1);
  // A map other than the identity reads through staging: not fetched ahead.
  auto reversed = reversed_spec("t2m", {240, 721, 1440}, {24, 721, 1440}, {24, 721, 1440});
  reversed.source.compressed = true;
  reversed.source.decoded_on_workers = true;
  auto rev = make_plan({reversed}, opts(1, 1, 2'000'000'000, 2));
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(rev->arrays[0].batches_in_flight, 1);
}


TEST(SizeBatches, UncompressedSourcesStopAtThePreferredSize) {
  // ERA5-like re-chunk: a row of 5 x 5 chunks of 168 x 145 x 288 floats is 700MB. With
  // 2GB to spare, an uncompressed source still takes one latitude band (5 chunks, 140MB +
  // two 28MB buffers); a compressed one takes the whole row, so that no source chunk of
  // 24 x 721 x 1440 is decoded more than once.
  auto plain = spec("t2m", {336, 721, 1440}, {168, 145, 288}, {24, 721, 1440});
  auto zipped = plain;
  zipped.source.compressed = true;
  auto a = make_plan({plain}, opts(2, 2));
  auto b = make_plan({zipped}, opts(2, 2));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->arrays[0].batch_chunks, (Shape{1, 1, 5}));
  EXPECT_LE(a->max_batch_footprint, kPreferredBatchBytes);
  EXPECT_GT(interior_footprint(plain, {1, 2, 5}, 1), kPreferredBatchBytes);
  EXPECT_EQ(b->arrays[0].batch_chunks, (Shape{1, 5, 5}));
  expect_exact_cover(*a);
  // A lower memory_limit still decides.
  auto c = make_plan({plain}, opts(2, 2, 150'000'000));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->arrays[0].batch_chunks, (Shape{1, 1, 3}));
}

TEST(SizeBatches, OneChunkAboveThePreferredSizeStillRuns) {
  // One 24 x 721 x 1440 chunk needs 300MB with its buffers: more than the preferred size,
  // within memory_limit, so the batch is that one chunk, not an error.
  auto p = make_plan({spec("t2m", {48, 721, 1440}, {24, 721, 1440}, {24, 721, 1440})}, opts(1, 1));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->arrays[0].batch_chunks, (Shape{1, 1, 1}));
  EXPECT_GT(p->max_batch_footprint, kPreferredBatchBytes);
}

TEST(SizeBatches, TooLowNamesTheLargestNeedNeverRoundedDown) {
  // Two arrays that both fail: the message names the larger need, and the figure printed
  // is enough when passed back as memory_limit.
  auto small = spec("small", {10, 10}, {10, 10}, {10, 10});
  auto big = spec("big", {33, 10}, {33, 10}, {33, 10});
  auto p = make_plan({small, big}, opts(1, 1, 1000));
  ASSERT_FALSE(p.ok());
  const std::string& m = p.error().message;
  ASSERT_NE(m.find("array big needs "), std::string::npos) << m;
  const auto need = model::parse_bytes(m.substr(m.find("needs ") + 6));
  ASSERT_TRUE(need.has_value()) << m;
  EXPECT_TRUE(make_plan({small, big}, opts(1, 1, *need)).ok()) << m;
}

}  // namespace
}  // namespace zpmpi::plan
