// The resume record of a job (see zarr/store_resume.hpp): what a store's content depends
// on, key by key, so that --resume adopts only a copy written for the same job and names
// what differs otherwise.
//   "config.KEY"   each key of the job file that shapes the output, as written (not the
//                  run-only keys, ConfigKey::changes_store false in app/config_keys.hpp:
//                  resume, overwrite, log_level, stats, workers, num_jobs, memory_limit,
//                  max_chunks, recommendations); a flag given for such a key (--zarr-format,
//                  --shards: app/cli.hpp store_flags) replaces the job's value by its own
//   "source.file URI"  one key per file the source reads (Source::input_files: the
//                  netCDF file, each multi-file member, a kerchunk set's reference file and
//                  each file it points into), so a difference names the file: for a local
//                  file {"size", "mtime_ns", "inode"} (source/input_files.hpp), for a url {}
//   "output"       a digest of the store's metadata (its completion document as this run
//                  would write it, output_document in app/job.hpp: .zmetadata in v2, the
//                  consolidated root zarr.json in v3): dims, shapes, chunks, shards, dtypes,
//                  fill values, attributes, compressor
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/source/input_files.hpp"
#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::app {

/// The job file's keys that shape the store (as written; ConfigKey::changes_store), with
/// `store_flags` over them: the "config." entries below, without the prefix. The S3
/// secrets of source.storage_options / remote_options read "***" (never written). Errors name
/// the job file ("job.json: cannot read the job file again").
Result<boost::json::object> job_store_keys(const std::string& job_file, const boost::json::object& store_flags);

/// Builds the record. `job_file` is read again (its keys as written); errors name it.
/// `store_flags`: the flags given for keys that change the store (cli.hpp), over the job's.
/// `inputs`: the source's files as the run identified them when it started; `output` the
/// store's completion document.
Result<boost::json::object> resume_record(const std::string& job_file, const boost::json::object& store_flags,
                                          const std::vector<source::InputFile>& inputs,
                                          const boost::json::object& output);

/// How `now` differs from `was` (the same file identified twice), e.g. "size 1200 -> 1300
/// bytes, modified", with "replaced: another inode" when the inode differs; empty when
/// they are the same.
std::string input_change(const source::InputFile& was, const source::InputFile& now);

/// The end of a run: identifies `read` (what the run identified when it started) again.
/// Errors (ExitCode::kRuntime): a file changed or gone meanwhile, naming it and how (and
/// how many others): "source file a.nc changed while this run read it (size 10 -> 12
/// bytes, modified)"; the caller says what follows (a store that would mix old and new data is
/// not committed).
Status check_inputs_unchanged(const std::vector<source::InputFile>& read);

}  // namespace zpmpi::app
