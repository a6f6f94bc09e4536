// The job description: a JSON file in the format of DESIGN.md (the Python package's keys),
// parsed strictly. Every error names the file and the key and is ExitCode::kUsage:
//   job.json: chunks.latitude: must be a positive integer, got -3
//   job.json: line 4, column 12: syntax error (expected '}')
//   job.json: unknown key 'chunk' (known: source, variables, ...)
//   job.json: chunks.time: is given twice (again at line 5, column 9)
//   job.json: store: contains a NUL byte
// No string of a job (key or value, anywhere) may contain a NUL byte, and the text must be
// valid UTF-8 without lone surrogate escapes (see src/app/strict_json.hpp); a job file is
// at most kMaxJobFileBytes. The keys, their parsers and flags are one table:
// app/config_keys.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/plan/shard_choice.hpp"
#include "zpmpi/transform/output_array.hpp"
#include "zpmpi/transform/preprocessor.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::app {

/// How output chunks are chosen: per-dim sizes (dims not named take the source chunk,
/// capped at the dim length), or the source chunks ("auto", or {}).
struct ChunkSpec {
  std::map<std::string, std::uint64_t> sizes;  ///< empty = source chunks
};

/// A {"type": "rename"} preprocessor: `key` is its place in the job ("preprocessors[1]").
struct Rename {
  std::string key;
  std::string var_id;
  std::string new_name;
};

/// What a run does when a selection or tile size is not aligned to the source chunks
/// (the job's "recommendations").
enum class Recommendations {
  kHalt,    ///< print the aligned bounds, write nothing, exit 3
  kWarn,    ///< print them and go on
  kIgnore,  ///< go on silently
};

struct Config {
  std::string path;        ///< the job file, for messages
  /// source: uris as written (relative to the working directory; a glob not yet expanded),
  /// engine ("kerchunk" when not given and the one uri ends in .json), group, concat_dim.
  source::SourceSpec source;
  std::optional<std::vector<transform::VariableChoice>> variables;  ///< nullopt = all data variables
  std::vector<Rename> renames;  ///< applied in order after variable choice
  std::vector<transform::Step> steps;  ///< isel / sel / reverse_axis / roll, in order
  ChunkSpec chunks;
  /// "statistics" (issue 28): normalisation statistics of the written data variables, in
  /// their attributes. nullopt: none.
  struct StatisticsRequest {
    std::vector<std::string> variables;  ///< output names; empty: every written data variable
    std::vector<std::string> by;         ///< dims with one set of statistics per index
    /// Per dim, the labels [start, stop] of the steps that count ("time": ["1979-01-01",
    /// "2017-12-31"]), with sel's semantics (transform::sel_window); in the job's order.
    std::vector<std::pair<std::string, transform::LabelRange>> windows;
  };
  std::optional<StatisticsRequest> statistics;
  /// The store's Zarr format: 2 (.zarray, one file per chunk) or 3 (zarr.json, shards).
  zarr::ZarrFormat zarr_format = zarr::ZarrFormat::kV2;
  /// "shards" (zarr_format 3 only, see apply_cli): per dim a size or "auto"; the shape is
  /// plan::choose_shards's decision. nullopt: not sharded, one file per chunk.
  std::optional<plan::ShardRequest> shards;
  std::string store;  ///< as written, like source.uris; empty if only --store will give it
  codec::CodecSpec compressor;  ///< default zstd level 1
  std::uint64_t memory_limit = 2'000'000'000;
  std::optional<int> num_jobs;  ///< nullopt = number of ranks
  bool overwrite = false;
  /// "mode": "append" (--append): the job's data go after the existing store's extent
  /// along `append_dim` (app/append.hpp); "write" (the default) writes or replaces a store.
  bool append = false;
  std::optional<std::string> append_dim;  ///< nullopt: the source's unlimited dim, else "time"
  bool allow_gaps = false;  ///< append: the new steps need not follow the store's regular step
  /// Continue the interrupted run of this job (see zarr/store_resume.hpp): its copy's
  /// complete chunks are kept, the rest written; refused if the job or source changed.
  bool resume = false;
  /// Sync each chunk file before its rename and its directory after, so that "a chunk
  /// file that exists is complete" holds across a node crash, not only a process crash.
  bool fsync = false;
  boost::json::object add_attrs;
  std::optional<std::string> cache_label;
  Recommendations recommendations = Recommendations::kHalt;
  int log_level = 1;
  /// Encode/write threads per rank; each holds one chunk and its encoding (the plan counts
  /// them). More than 1 pays where a file's creation waits on the file system (Lustre,
  /// GPFS, NFS with small chunks) or cores outnumber ranks.
  int workers = 1;
  /// The most output chunks (files) the plan may have; a typo guard (see plan::kDefaultMaxChunks).
  std::uint64_t max_chunks = plan::kDefaultMaxChunks;
  /// Where rank 0 writes the run's summary as JSON (see app/run_summary.hpp); empty = nowhere.
  std::string stats;
};

/// The most workers a rank may run (a typo guard: 1000 threads would only thrash).
inline constexpr int kMaxWorkers = 64;

/// The largest job file read: a job is a few kB; the limit keeps a runaway file (a 100 MB
/// add_attrs list took 5.7 GB to parse) from exhausting rank 0's memory.
inline constexpr std::uint64_t kMaxJobFileBytes = 16 * 1024 * 1024;

/// What the job file is for: a run needs a "source"; `zpmpi statistics` reads the store
/// and takes the job's "statistics" and run keys only (app/store_statistics.hpp).
enum class JobUse { kRun, kStatistics };

/// Parses the text of a job file; `path` is only used in messages.
Result<Config> parse_config(std::string_view text, const std::string& path, JobUse needs = JobUse::kRun);

/// Reads and parses a job file.
Result<Config> load_config(const std::string& path, JobUse needs = JobUse::kRun);

}  // namespace zpmpi::app
