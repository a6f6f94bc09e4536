// The shard index against the sharding-indexed spec's description (C order of the chunks
// per shard, uint64 LE offset/nbytes pairs, 2^64-1 for absent, crc32c LE last), and the
// checks verify and --resume rely on.
#include "zpmpi/zarr/shard_index.hpp"

#include <gtest/gtest.h>

#include "zpmpi/codec/crc32c.hpp"

namespace zpmpi::zarr {
namespace {

std::vector<std::byte> le64(std::uint64_t v) {
  std::vector<std::byte> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
  return out;
}

void append(std::vector<std::byte>& out, const std::vector<std::byte>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

/// The spec's example: shard [64, 64] of inner chunks [32, 32]; (0,1) holds 10 bytes at 0,
/// (1,0) 7 bytes at 10; (0,0) and (1,1) are absent.
std::vector<ShardEntry> spec_example() {
  return {ShardEntry{}, ShardEntry{0, 10}, ShardEntry{10, 7}, ShardEntry{}};
}

TEST(ShardIndex, GridArithmeticIsCOrderWithinTheShard) {
  const model::Shape per = chunks_per_shard({64, 64}, {32, 32});
  EXPECT_EQ(per, (model::Shape{2, 2}));
  EXPECT_EQ(shard_slot({0, 1}, per), 1u);
  EXPECT_EQ(shard_slot({1, 0}, per), 2u);
  // Chunk (3, 2) of the array: shard (1, 1), position (1, 0) in it.
  EXPECT_EQ(shard_of_chunk({3, 2}, per), (model::Shape{1, 1}));
  EXPECT_EQ(shard_slot({3, 2}, per), 2u);
  // Three dims, uneven: position (1, 2, 3) of per (2, 3, 4) is 1*12 + 2*4 + 3.
  EXPECT_EQ(shard_slot({5, 8, 7}, {2, 3, 4}), 23u);
  EXPECT_EQ(shard_slot({}, {}), 0u);
  EXPECT_EQ(shard_of_chunk({}, {}), model::Shape{});
}

TEST(ShardIndex, SpecExampleBytes) {
  const auto index = encode_shard_index(spec_example());
  ASSERT_EQ(index.size(), 68u);  // 16 * 4 + 4, as the spec computes it
  EXPECT_EQ(shard_index_size(4), 68u);
  std::vector<std::byte> expected;
  for (const auto& v : {kAbsentChunk, kAbsentChunk, std::uint64_t{0}, std::uint64_t{10}, std::uint64_t{10},
                        std::uint64_t{7}, kAbsentChunk, kAbsentChunk})
    append(expected, le64(v));
  const std::uint32_t crc = codec::crc32c(expected);
  for (int i = 0; i < 4; ++i) expected.push_back(static_cast<std::byte>(crc >> (8 * i)));
  EXPECT_EQ(index, expected);
}

TEST(ShardIndex, DecodeRoundTripsAFillOnlyShardAndTheExample) {
  const std::vector<ShardEntry> none(4);
  const auto all_absent = decode_shard_index(encode_shard_index(none), 4, 68);
  ASSERT_TRUE(all_absent.ok()) << all_absent.error().message;
  EXPECT_EQ(*all_absent, none);
  const auto example = decode_shard_index(encode_shard_index(spec_example()), 4, 17 + 68);
  ASSERT_TRUE(example.ok()) << example.error().message;
  EXPECT_EQ(*example, spec_example());
}

TEST(ShardIndex, CorruptCrcIsRefused) {
  auto index = encode_shard_index(spec_example());
  index.back() ^= std::byte{1};
  auto r = decode_shard_index(index, 4, 85);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("crc32c"), std::string::npos) << r.error().message;
  // A changed entry with the old crc: also refused.
  index = encode_shard_index(spec_example());
  index[16] = std::byte{1};
  EXPECT_FALSE(decode_shard_index(index, 4, 85).ok());
}

TEST(ShardIndex, WrongSizeIsRefused) {
  const auto index = encode_shard_index(spec_example());
  auto r = decode_shard_index(std::span(index).first(50), 4, 85);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "shard index has 50 bytes, expected 68 (4 inner chunks)");
  EXPECT_FALSE(decode_shard_index(index, 4, 60).ok());  // a file shorter than its index
}

TEST(ShardIndex, OverlapsAreRefused) {
  auto entries = spec_example();
  entries[2] = {5, 10};  // bytes 5..14 against (0,1)'s 0..9
  auto r = decode_shard_index(encode_shard_index(entries), 4, 15 + 68);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "inner chunks 1 (bytes 0..9) and 2 (bytes 5..14) overlap");
  // Adjacent is fine; the same range twice is not.
  entries[2] = {10, 5};
  EXPECT_TRUE(decode_shard_index(encode_shard_index(entries), 4, 15 + 68).ok());
  entries[2] = entries[1];
  EXPECT_FALSE(decode_shard_index(encode_shard_index(entries), 4, 15 + 68).ok());
}

TEST(ShardIndex, OffsetsOutsideTheChunkDataAreRefused) {
  auto entries = spec_example();
  // 17 bytes of chunks: a file of 16 + 68 bytes cuts chunk 2 short (its last byte would
  // be the index's first).
  auto r = decode_shard_index(encode_shard_index(entries), 4, 16 + 68);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "inner chunk 2 (bytes 10..16) ends past the chunk data, which is 16 bytes before the index");
  entries[1] = {kAbsentChunk - 2, 10};  // offset + nbytes wraps around 2^64
  EXPECT_FALSE(decode_shard_index(encode_shard_index(entries), 4, 85).ok());
}

TEST(ShardIndex, HalfAbsentAndEmptyEntriesAreRefused) {
  auto entries = spec_example();
  entries[0] = {kAbsentChunk, 10};
  auto r = decode_shard_index(encode_shard_index(entries), 4, 85);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "inner chunk 0: offset 2^64-1 with nbytes 10 (an absent chunk has both 2^64-1)");
  entries[0] = {3, 0};
  r = decode_shard_index(encode_shard_index(entries), 4, 85);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "inner chunk 0 is empty (0 bytes at offset 3)");
}

TEST(ShardIndex, BuilderPlacesChunksInAppendOrder) {
  ShardIndexBuilder b(4);
  EXPECT_EQ(*b.append(1, 10), 0u);  // finished first, whatever its slot
  EXPECT_EQ(*b.append(2, 7), 10u);
  EXPECT_EQ(b.data_bytes(), 17u);
  EXPECT_EQ(b.entries(), spec_example());
  EXPECT_EQ(b.index(), encode_shard_index(spec_example()));
  EXPECT_FALSE(b.append(2, 3).ok());  // twice
  EXPECT_FALSE(b.append(4, 3).ok());  // outside
  EXPECT_FALSE(b.append(0, 0).ok());  // empty
  EXPECT_EQ(b.data_bytes(), 17u);
}

}  // namespace
}  // namespace zpmpi::zarr
