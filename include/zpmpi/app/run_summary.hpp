// The run's summary: one JSON object that rank 0 writes into every store it finishes
// (STORE/.zpmpi/stats.json, before .zmetadata; also into the copy an interrupted run keeps)
// and, for --stats FILE, at the end of every run that got as far as reading the command
// line, failed runs included (with what is known).
//
//   {"version": "0.1.0", "ok": true, "exit_code": 0, "error": null,
//    "source": "in.nc", "store": "out.zarr", "ranks": 2, "workers": 1, "arrays": 3,
//    "seconds": 1.84, "mb_per_s": 212.7, "read_amplification": 1.0,
//    "chunks": 120, "bytes_needed": ..., "bytes_decoded": ..., "bytes_raw": ..., "bytes_written": ...,
//    "peak_buffer": ..., "peak_rss": ..., "seconds_read": ..., "seconds_gather": ..., "seconds_encode": ..., "seconds_write": ...,
//    "seconds_wait": ..., "combine": {"chunks": "sum", ..., "peak_buffer": "max", "seconds_read": "max", ...},
//    "per_rank": [{"chunks": 60, ...}, {"chunks": 60, ...}],
//    "plan": {"regions": 4, "num_jobs": 2, "memory_limit": 2000000000, "buffers_per_rank": ..., "total_bytes": ...},
//    "statistics": {"t2m": {"count": 1036800, "nan_count": 0, "mean": 281.3, ...}}}
//
// The Stats fields (exec::fields) are the run's totals, each combined over ranks as
// "combine" says; they, mb_per_s, read_amplification and per_rank are null (per_rank
// empty) when the run stopped before writing chunks, and "plan" is null before there was
// a plan. seconds is the wall time from the command line read to the summary; mb_per_s is
// bytes_needed / 10^6 / seconds. "statistics" (job key "statistics") holds each array's
// "statistics" attribute by array name, null when the job asks none or the run stopped
// before they were merged; a figure of a group without values (NaN) is the string "NaN",
// as in a v3 store: the file is strict JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/exec/stats.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::app {

/// The plan's figures worth keeping beside the run's.
struct PlanFigures {
  std::uint64_t regions = 0;
  std::uint64_t num_jobs = 0;
  std::uint64_t memory_limit = 0;
  std::uint64_t buffers_per_rank = 0;  ///< the plan's largest batch footprint (max_batch_footprint)
  std::uint64_t total_bytes = 0;       ///< bytes the plan writes (uncompressed)
};

struct RunSummary {
  Status outcome;  ///< ok, or the error the user was shown (its exit code and message)
  std::string source;
  std::string store;
  int ranks = 1;
  int workers = 1;
  std::uint64_t arrays = 0;
  double seconds = 0;
  std::optional<exec::Stats> totals;   ///< combined over ranks; nullopt before the chunks were written
  std::vector<exec::Stats> per_rank;   ///< each rank's own, in rank order
  std::optional<PlanFigures> plan;
  /// Each array's "statistics" attribute (stats/array_statistics.hpp) by array name; empty
  /// when there are none.
  std::map<std::string, boost::json::object> statistics;
};

/// This process's peak resident set size in bytes so far (getrusage; 0 if unknown).
std::uint64_t peak_rss_bytes();

/// The JSON text of `s` (one line, newline-terminated).
std::string summary_json(const RunSummary& s);

/// Writes summary_json(s) to `path` atomically: a temporary file beside it, renamed over
/// it, so a reader sees the old file or the whole new one. Errors start with `what` and
/// the path ("--stats out/stats.json: cannot create ...").
Status write_summary(const std::string& path, const RunSummary& s, std::string_view what = "--stats");

}  // namespace zpmpi::app
