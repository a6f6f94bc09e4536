// Which shard each dim of an array gets (Zarr v3 sharding, zarr-specs
// docs/v3/codecs/sharding-indexed): a planning decision, made once here, like the output
// chunks (output_chunks.hpp).
//
// A shard is one file holding a box of whole output chunks, written by exactly one rank:
// the planner's units are whole shards (region_plan.hpp). Its extent along a dim is a
// multiple of the chunk there and may pass the dim length at the edge, as a chunk's does
// (2 chunks of 24 along a dim of 30: 48). The shard shape depends on the array alone, never
// on the ranks or memory_limit, so a run resumed on other ranks finds the same files.
//
// Example: t2m (time 8760, latitude 721, longitude 1440) float32 in chunks (24, 721, 1440)
// of 99.7 MB, from source chunks of a day: "shards": "auto" gives (240, 721, 1440), ten
// chunks of 997 MB, the most whole chunks within kAutoShardBytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::plan {

/// What "auto" aims at: uncompressed bytes of one shard.
inline constexpr std::uint64_t kAutoShardBytes = std::uint64_t{1} << 30;

/// The job's "shards": per dim a size in elements or "auto".
struct ShardRequest {
  /// Dim -> shard extent in elements (positive), or nullopt for "auto".
  std::map<std::string, std::optional<std::uint64_t>> sizes;
  bool all_auto = false;  ///< "shards": "auto": every dim is "auto"
  bool operator==(const ShardRequest&) const = default;
};

/// The shard shape of `array` (shape, dims, dtype, chunks decided, alignment, source set).
/// Along each dim, in whole chunks:
///  - `whole` (a dimension coordinate, one chunk): one chunk, whatever is requested;
///  - a size in `request.sizes`: that size, which must be a multiple of the chunk; more
///    chunks than the dim has are capped to the whole dim;
///  - "auto": chosen on the outermost "auto" dim first, the others held: the whole dim if
///    the shard then holds at most `target_bytes` (and on to the next "auto" dim), else the
///    most chunks within target_bytes in steps of the source alignment (lcm(chunk,
///    alignment) of a chunked source; 1 chunk for a contiguous one or a new dim), at least
///    one step: a shard never splits a block of source chunks, so the planner's units are
///    the shards themselves; the dims further in then stay at one chunk;
///  - a dim not named: one chunk.
/// Bytes are counted clipped to the shape, in the output dtype. Error (kUsage), naming the
/// job's key: "shards.time: 100 is not a multiple of the chunk 24 of array t2m along time".
Result<model::Shape> choose_shards(const model::ArrayLayout& array, const ShardRequest& request, bool whole,
                                   std::uint64_t target_bytes = kAutoShardBytes);

}  // namespace zpmpi::plan
