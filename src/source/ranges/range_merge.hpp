// Which ranges of one url are fetched together. Pure: no I/O. Private to src/source.
//
// Ranges sorted by offset join the current group while the gap to the group's end is less
// than `merge_gap_bytes` (adjacent and overlapping ranges have gap 0, so they join for any
// gap of 1 or more; 0 turns merging off) and the group stays within `max_merged_bytes`.
// Example, gap 64 KiB: [0,100) [100,200) [70000,70100) -> [0,200) and [70000,70100).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "zpmpi/source/byte_ranges.hpp"

namespace zpmpi::source {

struct MergedRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::vector<const RangeRequest*> parts;  ///< sorted by offset, each within [offset, offset+length)
};

/// `sorted`: non-empty ranges of one url, sorted by offset.
std::vector<MergedRange> merge_ranges(std::span<const RangeRequest* const> sorted, std::uint64_t merge_gap_bytes,
                                      std::uint64_t max_merged_bytes);

}  // namespace zpmpi::source
