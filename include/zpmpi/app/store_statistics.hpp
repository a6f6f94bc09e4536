// `zpmpi statistics --store S [--config job.json]`: the "statistics" attribute of a store's
// data variables (re)computed from the chunks it holds, in parallel, and written in place
// (issue 28: a store built before statistics existed, or extended since). The store is read
// as a source: rank 0 makes a kerchunk reference set of it (zarr/store_references.hpp) beside
// it, and every rank reads, decodes and accumulates its share of the chunks exactly as a
// run does (the same specs, the same exact merge: a store's statistics equal those of the
// run that wrote it, bit for bit). Then rank 0 rewrites only the attributes and the
// consolidated metadata (zarr/store_attributes.hpp). The store's lock is held throughout, so
// no run writes it meanwhile; a failure leaves the store as it was (or, past the first
// attribute file, with the consolidated metadata not yet changed).
//
// The job file, when given, says which statistics (its "statistics" key: variables, by,
// windows) and how the run goes (memory_limit, workers, num_jobs, max_chunks, log_level,
// stats, store); its source, variables and preprocessors do not apply: the store is the
// source, read as it is. Without a job: every data variable, over all its values.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "zpmpi/app/cli.hpp"
#include "zpmpi/app/config.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_lock.hpp"
#include "zpmpi/zarr/store_references.hpp"

namespace zpmpi::app {

/// The job of the statistics command (see above): its config's path is the job file's, or
/// "zpmpi statistics" without one. Errors: the job file's, the flags'.
Result<Config> statistics_job(const CliOptions& cli);

/// The store opened as a source for the statistics command: locked, its reference set
/// written beside it (PARENT/.NAME.zpmpi-statistics.json, removed when this ends).
class StoreAsSource {
 public:
  /// Errors: the store is missing, a link or not complete; its lock is held; a document or
  /// chunk entry cannot be read (store_references); the reference file cannot be written.
  static Result<StoreAsSource> open(const std::string& store);
  StoreAsSource(StoreAsSource&&) noexcept;
  StoreAsSource& operator=(StoreAsSource&&) noexcept;
  ~StoreAsSource();

  const std::filesystem::path& store() const { return store_; }
  const std::filesystem::path& references_file() const { return file_; }
  const zarr::StoreReferences& references() const { return refs_; }

 private:
  StoreAsSource(zarr::StoreLock lock) : lock_(std::move(lock)) {}
  zarr::StoreLock lock_;
  std::filesystem::path store_, file_;
  zarr::StoreReferences refs_;
};

}  // namespace zpmpi::app
