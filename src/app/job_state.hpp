// The Job's state between its phases (app/job_phases.hpp), private to src/app: what rank 0
// prepared, what every rank received, and what the work and the agreements produced.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "zpmpi/app/append.hpp"
#include "zpmpi/app/config.hpp"
#include "zpmpi/app/job.hpp"
#include "zpmpi/app/job_message.hpp"
#include "zpmpi/app/job_phases.hpp"
#include "zpmpi/app/progress.hpp"
#include "zpmpi/app/provenance.hpp"
#include "zpmpi/app/run_summary.hpp"
#include "zpmpi/app/store_statistics.hpp"
#include "zpmpi/app/verify.hpp"
#include "zpmpi/source/input_files.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/store_transaction.hpp"

namespace zpmpi::app {

using Clock = std::chrono::steady_clock;

/// Rank 0's state between planning and the metadata it writes at the end.
struct Rank0State {
  Config config;
  JobArrays job;
  source::SourceSpec source_spec;  ///< config.source with globs expanded
  std::unique_ptr<source::Source> source;
  /// The source's files as identified when the run started (checked again at its end).
  std::vector<source::InputFile> inputs;
  std::optional<zarr::StoreTransaction> store;  ///< this run's copy of the store, under its lock
  std::string present;  ///< --resume: the chunks the adopted copy holds (encode_present)
  /// zpmpi statistics: the store read as the source, under its lock (store_statistics.hpp).
  std::optional<StoreAsSource> statistics_store;
  /// Append mode (app/append.hpp): the store appended to, the merged append coordinate.
  std::optional<AppendState> append;
  std::string slurm_job_id, hold_store_lock;  ///< JobHooks' for the store request
  std::map<std::string, std::string> s3_environment;  ///< JobHooks': for the source's S3 options
  /// The --stats file: written over only once judged (zarr/side_file.hpp); before that (a
  /// job refused early) only created when it does not exist; never when refused.
  enum class StatsFile { kUnchecked, kAccepted, kRefused } stats_file = StatsFile::kUnchecked;
};

/// Rank 0, the prepare phase: everything up to the broadcast of the plan. Returns the job
/// message, or an empty text when there is nothing more to do (plan only, or a resume of a
/// complete store). On success the store's copy exists (not for verify).
Result<std::string> prepare_on_rank0(const CliOptions& cli, int num_ranks, Rank0State& state);

/// The present-chunk bitmaps of the plan's arrays as bytes for the broadcast, and back.
std::string encode_present(const std::vector<std::vector<bool>>& arrays);
std::vector<std::vector<bool>> decode_present(const std::string& wire);

/// The store's provenance (app/provenance.hpp) put in rank 0's root attributes, with the
/// volatile fields of `run`.
Status add_provenance(Rank0State& state, const CliOptions& cli, const RunIdentity& run);

/// The array's chunk or shard files in a store of `format` (zarr/store_format.hpp).
zarr::ArrayFiles array_files(const model::ArrayLayout& a, zarr::ZarrFormat format);

/// Runs `f`, turning an exception into a runtime error ("unexpected failure: ...").
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return runtime_error(std::string("unexpected failure: ") + e.what());
  }
}

struct Job::State {
  State(const mpi::Collectives& s, CliOptions c, JobHooks h)
      : session(s), cli(std::move(c)), hooks(std::move(h)), rank(s.rank()) {}

  const mpi::Collectives& session;
  const CliOptions cli;
  const JobHooks hooks;
  const int rank;
  const Clock::time_point t0 = Clock::now();

  Rank0State rank0;
  /// Rank 0's summary: the --stats file, written on every way out with what is known by
  /// then, and the store's own .zpmpi/stats.json (zarr/store_contents.hpp).
  RunSummary report;

  // prepare, agree on the plan
  Result<std::string> prepared = std::string();  ///< rank 0's job message
  Result<JobMessage> message = runtime_error("internal: no plan received");
  std::vector<std::vector<bool>> present;  ///< --resume: per array, the chunks kept

  // work
  std::unique_ptr<mpi::Channel> channel;
  exec::ExecOptions::Progress progress;
  std::optional<ProgressReporter> reporter;  ///< rank 0's live progress
  Clock::time_point work_start = Clock::now();
  std::uint64_t rounds_shown = 0;
  std::atomic<bool> peer_stop{false}, channel_failed{false};
  Status channel_error;  ///< an MPI failure of the channel (main thread only)
  std::thread::id main_thread = std::this_thread::get_id();
  std::optional<ChunkVerifier> verifier;  ///< zpmpi verify
  Result<exec::Stats> stats = exec::Stats{};  ///< this rank's work
  std::vector<std::vector<stats::Moments>> moments;  ///< "statistics": this rank's, per spec
  bool stopped_by_peer = false;
  mpi::Totals totals;  ///< the channel's final round
  Clock::time_point wait_start = Clock::now();

  // agree on the outcome, commit
  Status status;  ///< the agreed outcome
  exec::Stats local;  ///< this rank's figures as combined
};

}  // namespace zpmpi::app
