// The job as a library: one run of zpmpi on every rank, in explicit phases. The program
// (app/run.hpp) is a thin shell over it: it starts MPI, reads the command line and the test
// hooks, and drives a Job; the unit tests drive the same Job with fake ranks on threads
// (mpi/collectives.hpp), without mpirun.
//
//   prepare            rank 0 alone: load the job, open and describe the source, choose the
//                      arrays, plan, report, halt if asked, open the store's copy under its
//                      lock (verify: check the store is there). No collective.
//   agree on the plan  [1] plan      broadcast: rank 0's job message, or its error (every
//                                    rank returns it alike), or nothing to do
//                      [2] present   broadcast: --resume's chunks the copy already holds
//   work               [3] channel   open the run channel (mpi/run_channel.hpp)
//                      each rank writes (verify: compares) its chunks, rank 0 also the text
//                      and coarse index arrays; the channel's rounds, polled between chunks
//                      by the main thread, stop every rank soon after one fails or a stop
//                      signal arrives
//                      [4] rounds    finish the channel: every rank is out of work
//   agree on outcome   [5] work      agree: the lowest failing rank's error, or ok
//                      [6] stats     combine the stats over ranks, gather them per rank
//                      [6s] statistics   with "statistics": gather every rank's partial
//                                    statistics; rank 0 merges them (app/job_statistics.hpp)
//   commit             rank 0: check the inputs are unchanged, write stats.json and the
//                      metadata (the completion document last), swap the copy in; an interrupted run keeps
//                      its copy for --resume, a failed one removes it
//                      [7] commit    agree on rank 0's commit
//                      [8] report    agree on rank 0's --stats file
//   (statistics, after [6s]: rank 0 writes the attributes into the store, then [7], [8].)
//   (verify, after [6]: [V1] agree on rank 0's comparison of the metadata, [V2] gather
//   every rank's findings, [V3] agree on rank 0's verdict on them; nothing is committed.)
//
// Every rank passes the numbered points in this order; a rank leaves early only where all
// leave alike (after [1], or after [5]/[7] with the agreed error). A transport failure at
// any point ends every rank (Collectives::abort) with its code. Rank 0 prints an error once;
// every rank returns the same exit code (verify's verdict on differences too: [V3]).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zpmpi/app/cli.hpp"
#include "zpmpi/exec/executor.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/mpi/collectives.hpp"

namespace zpmpi::app {

/// Test hooks, read once by the program (run.cpp, from the environment) and passed down.
/// Unset, they change nothing.
struct JobHooks {
  /// Asked on each rank as its work starts: an error fails that rank's work
  /// (ZPMPI_TEST_FAIL_RANK).
  std::function<Status(int rank)> fail_work;
  /// Adjusts a rank's executor options before it writes (ZPMPI_TEST_FAIL_WRITE,
  /// ZPMPI_TEST_WRITE_DELAY_MS).
  std::function<void(int rank, exec::ExecOptions&)> exec;
  /// Rank 0's store request: SLURM_JOB_ID for the lock and owner records, and the file the
  /// lock is held until (ZPMPI_TEST_HOLD_STORE_LOCK; app/environment.hpp).
  std::string slurm_job_id;
  std::string hold_store_lock;
  /// The S3 variables of the environment (Environment::s3), for rank 0's source options.
  std::map<std::string, std::string> s3_environment;
};

class Job {
 public:
  /// `session` must outlive the Job; each rank builds its own Job with the same `cli`.
  Job(const mpi::Collectives& session, CliOptions cli, JobHooks hooks = {});
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  /// The phases in order. Returns the exit code, the same on every rank (0 ok, else
  /// ExitCode's: 1 runtime, 2 usage, 3 halted, 75 interrupted).
  int run();

  // The phases, in the order run() calls them. A phase that returns a code ends the run
  // on every rank alike with it.
  void prepare();                      ///< rank 0 alone
  std::optional<int> agree_on_plan();  ///< [1], [2]
  void work();                         ///< [3], the chunks, [4]
  void agree_on_outcome();             ///< [5], [6]
  int commit();                        ///< [7], [8]
  int verify_outcome();                ///< verify instead of commit: [V1], [V2], [V3]
  int statistics_outcome();            ///< zpmpi statistics instead of commit: [7], [8]

  /// The agreed status of the run so far (ok before [5]).
  const Status& status() const;

 private:
  struct State;
  std::unique_ptr<State> s_;

  // The collective points, each called by every rank at the same place (see above).
  Result<std::string> point_plan();
  void point_present();
  void point_channel();
  mpi::Totals point_rounds(const mpi::RankState& out);
  Status point_work();
  void point_stats();
  void point_statistics();
  Status point_commit(const Status& local);
  Status point_report(const Status& local);
  Status point_verify(const Status& local);
  std::vector<std::string> point_problems(const std::string& mine);
  Status point_verdict(const Status& rank0_verdict);

  // Parts of the phases.
  Status check_stop();
  Result<exec::Stats> work_on_rank();
  Result<exec::Stats> run_into(source::Source& source, const exec::ExecOptions& options, exec::ChunkSink& sink);
  Status write_rank0_arrays(source::Source& source, exec::Stats& stats);
  void finish_work();
  Status commit_store();
  Status write_statistics();
  int keep_interrupted();
  int abandon_failed();
  int finish_report();
  Status compare_metadata(std::string& problems);
  Status report_problems(const std::vector<std::string>& all);
  int stop(const Error& error);
  void fill_report(const Status& outcome);
  Status write_report(const Status& outcome);
  Status write_store_stats();
};

}  // namespace zpmpi::app
