// `zpmpi plan`: what a run of the job would do, computed from the job, the described source
// and the region plan, without writing anything. One JSON document (--json) and the same
// figures as text.
//
// The figures are the run's own: chunks and bytes per rank come from the plan's batches
// (plan::for_each_batch, as the executor walks them); "bytes_decoded" mirrors the
// executor's read cost (exec::touched_elements over the same reads), so a run of the same
// job on the same number of ranks reports equal chunks, bytes_needed, bytes_decoded and
// bytes_raw in its --stats file (the integration case plan_matches_run holds them equal).
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "zpmpi/app/config.hpp"
#include "zpmpi/app/job.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::app {

/// The report as JSON:
///   source {uri, dims {name: length}, variables [{name, dtype, dims, shape, chunks,
///           compressed}]},
///   arrays [{name, dtype, dims, shape, chunks, source_chunks, batch_chunks, chunks_total,
///            shards, shard_files, shard_bytes, bytes, coordinate, written_by}],
///   ranks, num_jobs, workers, regions, memory_limit, peak_memory_per_rank, fits_memory_limit,
///   chunks, bytes_needed, bytes_decoded, read_amplification, bytes_raw, zarr_format,
///   files {chunks, shards, metadata, total}, per_rank [{rank, regions, batches, chunks,
///   bytes_needed, bytes_decoded, bytes_raw, peak_memory, shards}], recommendations [text],
///   warnings [text].
/// A sharded array has its shard shape, its number of shard files and the uncompressed
/// bytes of one shard (clipped to the shape); an unsharded one nulls. "chunks" counts
/// every chunk (inner chunks too: what the run's stats count), files.chunks only those that
/// are files of their own, files.shards the shard files, and per_rank.shards those a rank
/// writes (every shard by one rank).
/// Text and coarse index arrays (written whole by rank 0, one chunk each) count in rank 0's
/// chunks and the files; their bytes are not estimated (they are not in bytes_raw either).
/// Its figures walk every batch of the plan: `stop` is asked every plan::kStopCheckEvery
/// batches, and its error is returned as is.
Result<boost::json::object> plan_report(const Config& config, const model::Dataset& dataset, const JobArrays& job,
                                        const plan::RegionPlan& plan, const std::vector<std::string>& warnings,
                                        const plan::StopCheck& stop = {});

/// The same report for a terminal: a few aligned lines per section.
std::string plan_report_text(const boost::json::object& report);

/// What `zpmpi plan` prints: the report (with the plan's small-chunk warnings) as one JSON
/// document and a newline, or as text.
Result<std::string> plan_report_output(const Config& config, const model::Dataset& dataset, const JobArrays& job,
                                       const plan::RegionPlan& plan, bool as_json, const plan::StopCheck& stop = {});

}  // namespace zpmpi::app
