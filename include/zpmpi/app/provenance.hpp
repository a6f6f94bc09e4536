// What a store was made from, for a trainer to trust it (issue 28): one block "zpmpi" in the
// root attributes, written with the metadata at the end of a run:
//   {"version": "0.1.0", "job_sha256": "9f2c...", "sources": [{"uri": "era5.nc",
//    "size": 408944640, "mtime": "2026-12-07T19:42:25Z"}], "coordinate": {"dim": "time",
//    "start": 1051896, "end": 1051943, "units": "hours since 1900-01-01", "calendar": ...},
//    "created": "2026-12-07T20:41:02Z", "uuid": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"}
// job_sha256 is the SHA-256 (OpenSSL) of the job's keys that shape the store (those the
// resume record compares, with the flags that override them; not "store", which says
// where it goes) as JSON with sorted keys: the same job, the same hash, whatever the
// run-only keys (workers, log_level, ...) and wherever the store is. The
// coordinate is the first and last value, as stored, of the concat dim (multi-file) or
// "time", else the source's unlimited dim; absent when none is written. "created" and
// "uuid" are the volatile fields: two runs of one job write stores that differ only there,
// and `zpmpi verify` takes them from the store it checks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/app/config.hpp"
#include "zpmpi/app/job.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/source/input_files.hpp"

namespace zpmpi::app {

inline constexpr std::string_view kProvenanceKey = "zpmpi";

/// The volatile fields of a store's provenance.
struct RunIdentity {
  std::string created;  ///< UTC, ISO 8601 to the second
  std::string uuid;     ///< random (version 4)
  /// verify of a store built by appends ("appends" in its block): the store's block
  /// whole, which describes the runs that built it, not a job verify can rebuild.
  std::optional<boost::json::object> appended_block{};
};

/// The text attribute `name` of `a` ("units"), or "" when it has none or it is not text.
std::string text_attr(const transform::OutputArray& a, const std::string& name);

/// A new identity: now, and a random uuid.
RunIdentity new_run_identity();

/// The SHA-256 of `text`, as 64 lower-case hex digits.
std::string sha256_hex(std::string_view text);

/// The block (see above). `store_keys`: the job's keys that shape the store (the resume
/// record's "config." entries); `coords`: the source's 1-D coordinates (read_coordinates),
/// for the coordinate's start and end.
boost::json::object provenance_json(const boost::json::object& store_keys, const std::vector<source::InputFile>& inputs,
                                    const JobArrays& job, const model::Dataset& dataset, const std::string& concat_dim,
                                    const std::map<std::string, std::vector<double>>& coords, const RunIdentity& run);

/// The identity a store's provenance holds (verify writes its scratch metadata with it);
/// empty fields when it has none.
RunIdentity identity_of(const boost::json::object& root_attrs);

}  // namespace zpmpi::app
