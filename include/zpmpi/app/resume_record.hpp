// The resume record of a job (see zarr/store_resume.hpp): what a store's content depends
// on, key by key, so that --resume adopts only a copy written for the same job and names
// what differs otherwise.
//   "config.KEY"   each key of the job file that shapes the output, as written (not the
//                  run-only keys: resume, overwrite, log_level, stats, workers, num_jobs,
//                  memory_limit, max_chunks, recommendations)
//   "source.files" each local source file: path, size and modification time (ns)
//   "output"       a digest of the store's metadata (.zmetadata as this run would write
//                  it): dims, shapes, chunks, dtypes, fill values, attributes, compressor
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::app {

/// Builds the record. `job_file` is read again (its keys as written); errors name it.
Result<boost::json::object> resume_record(const std::string& job_file, const source::SourceSpec& source,
                                          const boost::json::object& group_attrs,
                                          const std::vector<zarr::ArrayMeta>& arrays,
                                          const boost::json::value& compressor);

}  // namespace zpmpi::app
