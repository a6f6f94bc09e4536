// Grouping ranges of one url into requests; see range_merge.hpp.
#include "ranges/range_merge.hpp"

#include <algorithm>

namespace zpmpi::source {

std::vector<MergedRange> merge_ranges(std::span<const RangeRequest* const> sorted, std::uint64_t merge_gap_bytes,
                                      std::uint64_t max_merged_bytes) {
  std::vector<MergedRange> out;
  std::uint64_t end = 0;  // of out.back()
  for (const RangeRequest* r : sorted) {
    const std::uint64_t r_end = r->offset + r->length;
    if (!out.empty() && merge_gap_bytes > 0) {
      MergedRange& cur = out.back();
      const bool near = r->offset <= end || r->offset - end < merge_gap_bytes;
      const std::uint64_t joined_end = std::max(end, r_end);
      if (near && joined_end - cur.offset <= max_merged_bytes) {
        end = joined_end;
        cur.length = end - cur.offset;
        cur.parts.push_back(r);
        continue;
      }
    }
    out.push_back(MergedRange{r->offset, r->length, {r}});
    end = r_end;
  }
  return out;
}

}  // namespace zpmpi::source
