// Append mode (issue 29): the job's data written after an existing store's extent along one
// dim ("mode": "append", --append; "append_dim", default the source's unlimited dim, else
// "time"). Rank 0, before anything is written:
//
//   read_append_target  the store's completion document (v2 .zmetadata, v3 zarr.json), read
//                       without following links; the store's extent along the dim.
//   check_append        the job's metadata as if it wrote the old extent must equal the
//                       store's, but for the statistics attributes, the root attributes and
//                       the append coordinate's units (re-expressed below): same variables,
//                       dims, dtypes, chunks, shards, codecs, fill values and attributes.
//                       The other dims' coordinates hold the same values. The new append
//                       coordinate is strictly increasing after the store's last value, with
//                       the store's step where it is regular (unless "allow_gaps").
//                       Each refusal is one line naming what differs.
//   the write           the plan's arrays are parts of the store's arrays (model::
//                       StorePlacement): a boundary part fills the store's partly filled
//                       last chunk behind the rows it keeps (exec/boundary_sink.hpp), a
//                       tail part writes whole chunks after it. Arrays without the dim are
//                       not written. The append coordinate (one chunk) is written whole by
//                       rank 0: the store's values then the new ones in the store's units.
//   the store           the run's copy starts as hard links to the store's files but those
//                       rewritten (zarr/linked_copy.hpp); metadata with the grown shapes is
//                       written last and the copy swapped in: a reader sees the old store
//                       until then, and a killed append leaves it untouched (--resume
//                       finishes it).
//
// Example: a store of 100 hourly steps in chunks of 24, a job of 60 more: store chunk 4
// (steps 96..119) is rewritten with the store's 4 steps and the first 20 new ones; new
// steps 20..59 become chunks 5 and 6; time is rewritten as one chunk of 160 values.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/app/config.hpp"
#include "zpmpi/app/job.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/store_transaction.hpp"

namespace zpmpi::app {

/// The existing store an append writes after, as read before planning.
struct AppendTarget {
  std::filesystem::path store;  ///< resolved
  zarr::ZarrFormat format = zarr::ZarrFormat::kV2;
  std::string document_text;  ///< the completion document's bytes (checked again under the lock)
  boost::json::object document;
  std::string dim;
  model::Index old_extent = 0;  ///< the store's length along `dim`
};

/// Rank 0's append between prepare and commit.
struct AppendState {
  AppendTarget target;
  model::Index new_extent = 0;  ///< the job's length along the dim
  /// The append coordinate as the store will hold it (shape and chunk grown) and its
  /// values: the store's, then the job's in the store's units, in its dtype.
  transform::OutputArray coordinate;
  std::vector<std::byte> coordinate_values;
  zarr::StoreRequest::Append request;  ///< the transaction's: document, files rewritten
  /// --resume: the store already holds exactly this job's data (a finished append).
  bool already_done = false;
};

/// The append dim: config.append_dim, else the source's unlimited dim, else "time".
std::string append_dim(const Config& config, const model::Dataset& dataset);

/// The store named by config.store, complete, read without following links. Errors:
/// "append: no store at PATH", a link, an incomplete store, another Zarr format.
Result<AppendTarget> read_append_target(const Config& config, const std::string& dim);

/// Checks `job` (the job's arrays for the new data alone) against the store, and computes
/// the merged append coordinate (`source`: its new values). Errors (kUsage) name what
/// differs; with config.resume, a job whose data the store already holds exactly is
/// `already_done` instead of an error.
Result<AppendState> check_append(const Config& config, AppendTarget target, const JobArrays& job,
                                 source::Source& source);

/// The plan's arrays: each array with the append dim split into its boundary and tail
/// parts (model::StorePlacement), the append coordinate left out (rank 0 writes it); the
/// boundary parts' store files (chunks, or shards) join append.request.rewritten.
Result<std::vector<model::ArrayLayout>> append_parts(const JobArrays& job, AppendState& append);

/// The job's arrays as the store holds them after the append (for the metadata written
/// last): shapes grown along the dim, the append coordinate one chunk of the new length.
JobArrays grown_arrays(const JobArrays& job, const AppendState& append);

/// The provenance block of the appended store (app/provenance.hpp), from this run's
/// `block`: the coordinate's ends are the store's first and last values after the append;
/// "sources" the store's then this run's; "appends" the runs before this one (job_sha256,
/// uuid, created), oldest first.
void append_provenance(const AppendState& append, boost::json::object& block);

/// `zpmpi plan --append`: what the append adds and which chunks it rewrites, as text.
std::string append_report(const AppendState& append, const plan::RegionPlan& plan);

}  // namespace zpmpi::app
