// The index of a Zarr v3 shard file (codec "sharding_indexed", zarr-specs
// docs/v3/codecs/sharding-indexed), as zpmpi writes it: index_location "end",
// index_codecs [bytes little endian, crc32c].
//
// A shard is one file holding the inner chunks of a block of `chunks per shard` (shard
// shape / inner chunk shape, per dim) inner chunks, each encoded alone by the inner codecs
// ([bytes, compressor]), one after another in any order, followed by the index:
//   for every inner chunk of the block, in C order of its position within the shard:
//     offset (uint64 LE): where its bytes start in the file;  nbytes (uint64 LE): how many;
//   then the crc32c (codec/crc32c.hpp) of those 16 * n bytes, as uint32 LE.
// An inner chunk that is not stored (all fill, or wholly beyond the array's edge) has
// offset = nbytes = 2^64 - 1; a reader fills it with fill_value. The index always has all
// n entries, also in a shard at the array's edge.
//
// Example (the spec's): shard [64, 64], inner chunks [32, 32]: 4 entries in the order
// (0,0) (0,1) (1,0) (1,1), so 16 * 4 + 4 = 68 bytes. Chunk (0,1) of 10 bytes at offset 0,
// chunk (1,0) of 7 bytes at offset 10, the others absent:
//   ff*8 ff*8 | 00..00 0a 00 00 00 00 00 00 00 | 0a 00 00 00 00 00 00 00 07 00..00 | ff*16 | crc LE
// and the file is 10 + 7 + 68 = 85 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

/// offset and nbytes of an inner chunk that is not stored.
inline constexpr std::uint64_t kAbsentChunk = std::numeric_limits<std::uint64_t>::max();

/// One entry of a shard index.
struct ShardEntry {
  std::uint64_t offset = kAbsentChunk;
  std::uint64_t nbytes = kAbsentChunk;
  bool absent() const { return offset == kAbsentChunk && nbytes == kAbsentChunk; }
  bool operator==(const ShardEntry&) const = default;
};

/// Inner chunks per shard along each dim: shard_shape[d] / chunk_shape[d]. The caller has
/// checked that each shard extent is a positive multiple of the chunk extent.
model::Shape chunks_per_shard(const model::Shape& shard_shape, const model::Shape& chunk_shape);

/// The shard (its index in the grid of shards, which is also its chunk key, v3_metadata.hpp)
/// holding the inner chunk `chunk_index` (its index in the array's grid of inner chunks).
model::Shape shard_of_chunk(const model::Shape& chunk_index, const model::Shape& per_shard);

/// The inner chunk's entry number in its shard's index: its position within the shard
/// (chunk_index mod per_shard), in C order. (0-d: 0.)
std::uint64_t shard_slot(const model::Shape& chunk_index, const model::Shape& per_shard);

/// Bytes of the encoded index of `slots` inner chunks: 16 * slots + 4.
std::uint64_t shard_index_size(std::uint64_t slots);

/// The encoded index of `entries` (one per slot, in slot order), crc32c included.
std::vector<std::byte> encode_shard_index(std::span<const ShardEntry> entries);

/// Parses and checks the index that ends a shard file of `file_size` bytes: `index` is the
/// file's last shard_index_size(slots) bytes. Errors (kRuntime; the caller adds the file):
///   "shard index has 50 bytes, expected 68 (4 inner chunks)"
///   "shard index crc32c is 0x1234abcd, its bytes give 0x89ab0123"
///   "inner chunk 2: offset 2^64-1 with nbytes 10 (an absent chunk has both 2^64-1)"
///   "inner chunk 2 is empty (0 bytes at offset 10)"
///   "inner chunk 3 (bytes 10..29) ends past the chunk data, which is 25 bytes before the index"
///   "inner chunks 1 (bytes 0..9) and 3 (bytes 5..14) overlap"
Result<std::vector<ShardEntry>> decode_shard_index(std::span<const std::byte> index, std::uint64_t slots,
                                                   std::uint64_t file_size);

/// One shard's index, built while its inner chunks are appended to the shard file in the
/// order they are finished (any order of slots); slots never appended stay absent.
/// Writing a shard: for each stored chunk, offset = append(slot, size), write the bytes at
/// offset; then write index() at data_bytes().
class ShardIndexBuilder {
 public:
  explicit ShardIndexBuilder(std::uint64_t slots);
  /// The offset at which the chunk of `nbytes` bytes in `slot` goes: the end of the data
  /// so far. Errors (programming errors of the caller, kRuntime): a slot out of range or
  /// already appended, 0 bytes.
  Result<std::uint64_t> append(std::uint64_t slot, std::uint64_t nbytes);
  /// Bytes of chunk data appended so far: where the next chunk, or the index, goes.
  std::uint64_t data_bytes() const { return data_bytes_; }
  const std::vector<ShardEntry>& entries() const { return entries_; }
  /// encode_shard_index(entries()).
  std::vector<std::byte> index() const;

 private:
  std::vector<ShardEntry> entries_;
  std::uint64_t data_bytes_ = 0;
};

}  // namespace zpmpi::zarr
