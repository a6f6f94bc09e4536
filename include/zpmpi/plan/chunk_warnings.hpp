// Warnings about a plan that is valid but will be slow to write or read: many small chunk
// files. A parallel file system (Lustre, GPFS) spends about the same metadata time on
// creating, and later opening, a 4 kB file as a 4 MB one, so an array of 10^6 chunks of
// 4 kB spends its time on the metadata server, not on data. Pure: app logs the text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::plan {

/// An array's chunks are "small" below this many uncompressed bytes (a full chunk, as
/// written before compression; compressed files are smaller still)...
inline constexpr std::uint64_t kSmallChunkBytes = 1'000'000;
/// ...and worth a warning when the array has more than this many of them.
inline constexpr std::uint64_t kManySmallChunks = 10'000;

/// One line per array with more than kManySmallChunks files of fewer than
/// kSmallChunkBytes bytes, in plan order; a file is a chunk, or a shard of a sharded array
/// (its shards are counted and sized, not its inner chunks), e.g.
///   "array t2m: 1000000 chunk files of 4000 bytes each (uncompressed); a parallel file
///    system handles chunks of 1 MB or more far better: consider larger chunks"
std::vector<std::string> small_chunk_warnings(const RegionPlan& plan);

}  // namespace zpmpi::plan
