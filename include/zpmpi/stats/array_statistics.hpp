// The statistics of one output array, from its spec (which groups, how values decode) to the
// "statistics" attribute a trainer reads. Rank 0 builds the specs (app), every rank
// receives them in the job message (spec_json / spec_from_json), accumulates its chunks
// (chunk_statistics.hpp), and rank 0 merges every rank's partial Moments (exact: the order
// of ranks and chunks does not matter) into the attribute:
//   {"count": 1036800, "nan_count": 0, "mean": 281.3, "stdev": 12.9, "minimum": 220.1,
//    "maximum": 318.6, "sum_squares": 1.72e8}
// and with "by": ["level"] one list per figure, along the level dim (nested lists for
// several `by` dims, outermost first), "by" naming them; with a window, "window": the
// job's labels ({"time": ["1979-01-01", "2017-12-31"]}).
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/stats/chunk_statistics.hpp"
#include "zpmpi/stats/moments.hpp"

namespace zpmpi::stats {

struct ArrayStatisticsSpec {
  std::string array;  ///< the output array's name
  ValueDecoding decoding;
  Selection selection;
  std::vector<std::string> by_names;  ///< the names of selection.by's dims
  model::Shape by_shape;              ///< their extents: the groups, in C order
  /// The job's windows as it spelt them ({"time": ["1979-01-01", "2017-12-31"]}), repeated
  /// in the attribute so that a trainer sees which steps counted; empty: all.
  boost::json::object window_labels;
};

boost::json::value spec_json(const ArrayStatisticsSpec& spec);
/// Errors (runtime, "internal: ...") for anything malformed.
Result<ArrayStatisticsSpec> spec_from_json(const boost::json::value& v);

/// Every group's Moments of every spec, concatenated (Moments::to_bytes), for the gather.
std::string moments_to_bytes(const std::vector<std::vector<Moments>>& per_spec);
/// Adds the bytes of one rank (moments_to_bytes of the same specs) into `per_spec`. Errors
/// (internal) for bytes of another length.
Status merge_moments_bytes(const std::string& bytes, std::vector<std::vector<Moments>>& per_spec);

/// The "statistics" attribute of an array (see above).
boost::json::object statistics_json(const ArrayStatisticsSpec& spec, const std::vector<Moments>& groups);

}  // namespace zpmpi::stats
